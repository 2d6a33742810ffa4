import { v5 as uuidV5 } from 'uuid';
import { z } from 'zod';
import { follow } from '../message-store/follow.ts';
import type { MessageStore } from '../message-store/index.ts';
import { streamName } from '../message-store/stream-name.ts';
import type { RawMessage } from '../message-store/types.ts';
import { failedMessage, logRetry, type Processor, type ProcessorContext } from './processor.ts';
import { attemptWithRetries, isInfrastructureError, isPermanent } from './retry.ts';

export const POSITION_CATEGORY = 'subscriberPosition';
export const DEAD_LETTER_CATEGORY = 'deadLetter';
// Parking ids are derived from the subscriber and the message, so parking twice writes once.
const PARKING_NAMESPACE = '6f1c2f0e-5d8a-4a7c-9a51-3c0b8f3f2d11';

const readData = z.object({ position: z.number().int().nonnegative() });

export interface ComponentProcessorOptions {
  readonly messageStore: MessageStore;
  readonly subscriberId: string;
  readonly handle: (message: RawMessage) => Promise<void>;
  /** Store the position after this many messages; a restart redelivers at most this many. */
  readonly positionUpdateInterval?: number;
}

/**
 * For components: at-least-once delivery with idempotent handlers. The position lives in the
 * message store (`subscriberPosition-<id>`); a message that keeps failing is parked in
 * `deadLetter-<id>` with its error, and the subscriber goes on.
 */
export function createComponentProcessor({
  messageStore,
  subscriberId,
  handle,
  positionUpdateInterval = 100,
}: ComponentProcessorOptions): Processor {
  const positionStream = streamName(POSITION_CATEGORY, subscriberId);
  const deadLetterStream = streamName(DEAD_LETTER_CATEGORY, subscriberId);
  let stored = 0;
  let sinceCheckpoint = 0;

  async function checkpoint(position: number, context: ProcessorContext): Promise<void> {
    if (position <= stored) return;
    await messageStore.write(positionStream, {
      id: crypto.randomUUID(),
      type: 'Read',
      data: { position },
      metadata: {},
    });
    stored = position;
    sinceCheckpoint = 0;
    context.stats.checkpoint = position;
  }

  async function park(message: RawMessage, error: unknown, attempts: number, context: ProcessorContext): Promise<void> {
    const failure = failedMessage(message, error, attempts);
    await messageStore.write(
      deadLetterStream,
      follow(
        message,
        'Parked',
        {
          subscriberId,
          error: failure.error,
          attempts,
          message: { ...message, time: message.time.toISOString() },
        },
        {},
        uuidV5(`${subscriberId}/${message.id}`, PARKING_NAMESPACE),
      ),
    );
    context.stats.parked += 1;
    context.stats.failure = failure;
    context.logger.error({ ...failure, deadLetterStream }, 'handler kept failing; message parked');
  }

  return {
    kind: 'component',
    async loadPosition() {
      const last = await messageStore.readLastMessage(positionStream, 'Read');
      const parsed = readData.safeParse(last?.data);
      stored = parsed.success ? parsed.data.position : 0;
      return stored;
    },
    async process(batch, context) {
      let last = 0;
      for (const message of batch) {
        if (context.signal.aborted) break;
        const result = await attemptWithRetries(() => handle(message), context.retry, context.signal, logRetry(context, message));
        if (!result.ok) {
          if (context.signal.aborted && !isPermanent(result.error)) break;
          // A database that is down is not this message's fault: hand the error to the
          // subscription, which keeps trying from here rather than park an innocent message.
          if (isInfrastructureError(result.error)) {
            if (last > 0) await checkpoint(last, context).catch(() => undefined);
            throw result.error;
          }
          await park(message, result.error, result.attempts, context);
        } else {
          context.stats.handled += 1;
        }
        last = message.globalPosition;
        sinceCheckpoint += 1;
        if (sinceCheckpoint >= positionUpdateInterval) await checkpoint(last, context);
      }
      return last;
    },
    checkpoint,
  };
}
