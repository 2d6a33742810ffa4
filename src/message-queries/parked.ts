import type pg from 'pg';
import { ADMIN_ACTIONS_CATEGORY } from '../contracts/admin-actions.ts';
import { DEAD_LETTER_CATEGORY } from '../subscription/component-processor.ts';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow, type StoredMessage } from './stored.ts';

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
export async function pendingParkedMessages(pool: pg.Pool, limit: number): Promise<StoredMessage[]> {
  const result = await pool.query<MessageRow>(pendingSql('TRUE', 'ORDER BY p.global_position DESC LIMIT $1'), [limit]);
  return result.rows.map(toStoredMessage);
}

/** The Parked message at a global position if it is still waiting; undefined if there is none or it is settled. */
export async function pendingParkedMessage(pool: pg.Pool, globalPosition: number): Promise<StoredMessage | undefined> {
  const result = await pool.query<MessageRow>(pendingSql('p.global_position = $1', ''), [globalPosition]);
  const row = result.rows[0];
  return row ? toStoredMessage(row) : undefined;
}

/** Is there a Parked message at this global position, settled or not? */
export async function parkedMessageExists(pool: pg.Pool, globalPosition: number): Promise<boolean> {
  const exists = await pool.query(
    `SELECT 1 FROM messages WHERE global_position = $1 AND type = 'Parked' AND category(stream_name) = $2`,
    [globalPosition, DEAD_LETTER_CATEGORY],
  );
  return exists.rowCount !== 0;
}

/** How many replays of the Parked message at this global position admins have recorded. */
export async function replaysRecorded(pool: pg.Pool, globalPosition: number): Promise<string> {
  const earlier = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM messages WHERE category(stream_name) = $1 AND type = 'ParkedMessageReplayed' AND metadata->>'causationMessageGlobalPosition' = $2`,
    [ADMIN_ACTIONS_CATEGORY, String(globalPosition)],
  );
  return earlier.rows[0]?.n ?? '0';
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
