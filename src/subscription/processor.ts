import type { Logger } from '../logger.ts';
import type { RawMessage } from '../message-store/types.ts';
import type { RetryPolicy } from './retry.ts';
import { describeError, type FailedMessage, type SubscriberKind } from './status.ts';

/** Counters the processors update and the subscription reports. */
export interface SubscriberStats {
  handled: number;
  retries: number;
  parked: number;
  checkpoint: number;
  failure: FailedMessage | undefined;
}

export interface ProcessorContext {
  /** Aborted by stop(): finish the message in hand, start no other. */
  readonly signal: AbortSignal;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly stats: SubscriberStats;
}

/** How one kind of subscriber applies messages and where it keeps its position. */
export interface Processor {
  readonly kind: SubscriberKind;
  /** Global position of the last message already handled; 0 for none. */
  loadPosition(): Promise<number>;
  /**
   * Handles `batch` in order and returns the global position of the last message handled
   * (earlier than the batch's end only when stopping). Throws StalledError to stop for good.
   */
  process(batch: readonly RawMessage[], context: ProcessorContext): Promise<number>;
  /** Makes `position` durable if the processor has not already. */
  checkpoint(position: number, context: ProcessorContext): Promise<void>;
}

export class StalledError extends Error {
  override name = 'StalledError';
  /** `handledUpTo`: the global position of the last message applied before the failing one (0 if none). */
  constructor(
    readonly failure: FailedMessage,
    readonly handledUpTo: number,
  ) {
    super(`Stalled at ${failure.type} ${failure.messageId} (global position ${failure.globalPosition}): ${failure.error}`);
  }
}

export function failedMessage(message: RawMessage, error: unknown, attempts: number): FailedMessage {
  return {
    messageId: message.id,
    streamName: message.streamName,
    type: message.type,
    globalPosition: message.globalPosition,
    error: describeError(error),
    attempts,
    at: new Date(),
  };
}

export function logRetry(context: ProcessorContext, message: RawMessage) {
  return (error: unknown, attempt: number, delayMs: number): void => {
    context.stats.retries += 1;
    context.logger.warn(
      { err: error, messageId: message.id, type: message.type, globalPosition: message.globalPosition, attempt, delayMs },
      'handler failed; retrying',
    );
  };
}
