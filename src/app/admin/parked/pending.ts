import type pg from 'pg';
import { parkedData } from '../../../subscription/component-processor.ts';
import { ADMIN_ACTIONS_CATEGORY } from '../../../contracts/admin-actions.ts';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow, type StoredMessage } from '../messages/stored.ts';

/** The subscription engine's dead-letter category: deadLetter-<subscriberId>. */
export const DEAD_LETTER_CATEGORY = 'deadLetter';
/** More than an operator works through at once; the page says when there are more. */
export const PARKED_LISTED = 200;

export interface ParkedEntry {
  /** The Parked message itself. */
  readonly parked: StoredMessage;
  readonly subscriberId: string;
  /** Undefined when the Parked message's data is not what the engine writes (then it can only be discarded). */
  readonly details:
    | {
        readonly message: { readonly id: string; readonly streamName: string; readonly position: number; readonly globalPosition: number; readonly type: string };
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
  return { parked, subscriberId, details: details && { message: details.message, error: details.error, attempts: details.attempts } };
}

/**
 * Still waiting: a Parked message is settled once the engine wrote Replayed after it (its
 * replay, in the same dead-letter stream) or an admin wrote ParkedMessageDiscarded about it;
 * both point at it by their causation global position. Each set is read once, along Message
 * DB's category index, and taken from the Parked ones with EXCEPT, which PostgreSQL runs by
 * hashing or sorting: linear in the dead letters whatever it estimates. A NOT EXISTS per Parked
 * message ran as a nested loop (the category index's estimates are poor), rescanning the
 * Replayed for every Parked: 4,000 of each took seconds (docs/benchmarks.md).
 */
const pendingSql = (parkedWhere: string, tail: string): string => `
  WITH waiting AS (
    (SELECT p.stream_name, p.global_position::text AS at FROM messages p
      WHERE category(p.stream_name) = '${DEAD_LETTER_CATEGORY}' AND p.type = 'Parked' AND ${parkedWhere}
     EXCEPT
     SELECT r.stream_name, r.metadata->>'causationMessageGlobalPosition' FROM messages r
      WHERE category(r.stream_name) = '${DEAD_LETTER_CATEGORY}' AND r.type = 'Replayed')
  )
  SELECT ${MESSAGE_COLUMNS} FROM messages p
   WHERE p.global_position IN (
     SELECT at::bigint FROM (
       SELECT at FROM waiting
       EXCEPT
       SELECT d.metadata->>'causationMessageGlobalPosition' FROM messages d
        WHERE category(d.stream_name) = '${ADMIN_ACTIONS_CATEGORY}' AND d.type = 'ParkedMessageDiscarded'
     ) pending)
   ${tail}`;

/** Parked messages not yet replayed or discarded, newest first. */
export async function pendingParked(pool: pg.Pool, limit = PARKED_LISTED): Promise<ParkedEntry[]> {
  const result = await pool.query<MessageRow>(pendingSql('TRUE', 'ORDER BY p.global_position DESC LIMIT $1'), [limit]);
  return result.rows.map((row) => entryOf(toStoredMessage(row)));
}

/** One parked message, if it is still waiting; undefined if there is no such Parked message or it is settled. */
export async function pendingEntry(pool: pg.Pool, globalPosition: number): Promise<ParkedEntry | undefined> {
  const result = await pool.query<MessageRow>(pendingSql('p.global_position = $1', ''), [globalPosition]);
  const row = result.rows[0];
  return row ? entryOf(toStoredMessage(row)) : undefined;
}

/** What admins did about parked messages lately, newest first. */
export async function recentParkedActions(pool: pg.Pool, limit = 20): Promise<StoredMessage[]> {
  const result = await pool.query<MessageRow>(
    `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE category(stream_name) = $1 AND type IN ('ParkedMessageReplayed', 'ParkedMessageDiscarded')
      ORDER BY global_position DESC LIMIT $2`,
    [ADMIN_ACTIONS_CATEGORY, limit],
  );
  return result.rows.map(toStoredMessage);
}
