import type pg from 'pg';
import { DEAD_LETTER_CATEGORY, parkedData } from '../../../subscription/component-processor.ts';
import { pendingParkedMessage, pendingParkedMessages } from '../../../message-queries/parked.ts';
import type { StoredMessage } from '../../../message-queries/stored.ts';
/** More than an operator works through at once; the page says when there are more. */
export const PARKED_LISTED = 200;

export interface ParkedEntry {
  /** The Parked message itself. */
  readonly parked: StoredMessage;
  readonly subscriberId: string;
  /** Undefined when the Parked message's data is not what the engine writes (then it can only be discarded). */
  readonly details:
    | {
        readonly message: {
          readonly id: string;
          readonly streamName: string;
          readonly position: number;
          readonly globalPosition: number;
          readonly type: string;
        };
        readonly error: string;
        readonly attempts: number;
      }
    | undefined;
}

const subscriberOf = (deadLetterStream: string): string => deadLetterStream.slice(DEAD_LETTER_CATEGORY.length + 1);

function entryOf(parked: StoredMessage): ParkedEntry {
  const subscriberId = subscriberOf(parked.streamName);
  const data = parkedData.safeParse(parked.data);
  // The stream names the subscriber; data that names another is not to be trusted with a replay.
  const details = data.success && data.data.subscriberId === subscriberId ? data.data : undefined;
  return {
    parked,
    subscriberId,
    details: details && { message: details.message, error: details.error, attempts: details.attempts },
  };
}

/** Parked messages not yet replayed or discarded, newest first. */
export async function pendingParked(pool: pg.Pool, limit = PARKED_LISTED): Promise<ParkedEntry[]> {
  return (await pendingParkedMessages(pool, limit)).map(entryOf);
}

/** One parked message, if it is still waiting; undefined if there is no such Parked message or it is settled. */
export async function pendingEntry(pool: pg.Pool, globalPosition: number): Promise<ParkedEntry | undefined> {
  const parked = await pendingParkedMessage(pool, globalPosition);
  return parked && entryOf(parked);
}
