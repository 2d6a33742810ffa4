import type { Logger } from '../logger.ts';
import type { RawMessage } from '../message-store/index.ts';
import type { RetryPolicy } from './retry.ts';
import { describeError, type FailedMessage, type SubscriberKind } from './status.ts';

/**
 * How often an idle subscriber looks whether an operator moved its stored position. Not on
 * every caught-up read: under a stream of single writes that would add a query to each one.
 */
export const POSITION_RECHECK_MS = 1_000;

/** True at most once per `intervalMs`: for work worth doing now and then, not on every call. */
export function every(intervalMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const time = now();
    if (time - last < intervalMs) return false;
    last = time;
    return true;
  };
}

/** Counters the processors update and the subscription reports. */
export interface SubscriberStats {
  handled: number;
  retries: number;
  parked: number;
  /** Messages an aggregator passed over because their data breaks the contract. */
  skipped: number;
  checkpoint: number;
  failure: FailedMessage | undefined;
  lastSkipped: FailedMessage | undefined;
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
   * Handles `batch` (read from `position` + 1) in order and returns the global position to go
   * on from: the batch's last, an earlier one when stopping, or wherever an operator has
   * moved the stored position. Throws StalledError to stop for good.
   */
  process(batch: readonly RawMessage[], position: number, context: ProcessorContext): Promise<number>;
  /** Caught up at `position`: makes it durable and returns where to go on from (an operator may have moved it). */
  caughtUp(position: number, context: ProcessorContext): Promise<number>;
  /** Makes `position` durable on stop, if the processor has not already. */
  checkpoint(position: number, context: ProcessorContext): Promise<void>;
}

export class StalledError extends Error {
  override name = 'StalledError';
  /** `handledUpTo`: the global position of the last message applied before the failing one (0 if none). */
  constructor(
    readonly failure: FailedMessage,
    readonly handledUpTo: number,
  ) {
    super(
      `Stalled at ${failure.type} ${failure.messageId} (global position ${failure.globalPosition}): ${failure.error}`,
    );
  }
}

export function failedMessage(message: RawMessage, error: unknown, attempts: number): FailedMessage {
  return {
    messageId: message.id,
    streamName: message.streamName,
    position: message.position,
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
      {
        err: error,
        messageId: message.id,
        type: message.type,
        globalPosition: message.globalPosition,
        attempt,
        delayMs,
      },
      'handler failed; retrying',
    );
  };
}
