import type pg from 'pg';
import { fromRow, type MessageRow } from './rows.ts';
import type { RawMessage } from './types.ts';

export interface AllMessagesReader {
  /**
   * Messages of every category from `fromPosition` (inclusive) in global order, stopping before
   * any gap that a transaction still in flight may yet fill. `waiting` is set when it stopped
   * at such a gap: read again shortly.
   */
  read(fromPosition: number, batchSize: number): Promise<{ messages: RawMessage[]; waiting: boolean }>;
}

type Row = MessageRow & { writers: string[] | null };

/**
 * Message DB orders commits within a category (its category lock), not across categories: a
 * message at global position 10 may commit after 11 is visible. Reading every category by
 * position would skip it for good. So a gap is held until every transaction that was writing
 * to the messages table when the gap was first seen has ended; what is still missing then was
 * rolled back. A writer takes its lock on the table before it draws a position, so none can be
 * missed, and only writers of this database count: a long transaction elsewhere on the server
 * holds nothing up.
 */
export function createAllMessagesReader(pool: pg.Pool): AllMessagesReader {
  // Gap start → the writing transactions (virtual transaction ids) it waits for, and whether
  // they had all ended before the latest read began (then the gap is final).
  const gaps = new Map<number, { readonly writers: readonly string[]; ended: boolean }>();

  async function stillWriting(transactions: readonly string[]): Promise<boolean> {
    if (transactions.length === 0) return false;
    const result = await pool.query<{ writing: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
          WHERE locktype = 'relation' AND relation = 'message_store.messages'::regclass
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND virtualtransaction = ANY($1::text[])) AS writing`,
      [transactions],
    );
    return result.rows[0]?.writing === true;
  }

  return {
    async read(fromPosition, batchSize) {
      // The writers are listed in the same statement as the rows are read, so any transaction
      // that could fill a gap in these rows is among them.
      const result = await pool.query<Row>(
        `SELECT w.writers, m.*
           FROM (SELECT array_agg(virtualtransaction) AS writers FROM pg_locks
                  WHERE locktype = 'relation' AND relation = 'message_store.messages'::regclass
                    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()) w
           LEFT JOIN LATERAL (
             SELECT id::text AS id, stream_name, type, position, global_position, data::text AS data, metadata::text AS metadata, time
               FROM messages WHERE global_position >= $1 ORDER BY global_position LIMIT $2
           ) m ON true`,
        [fromPosition, batchSize],
      );
      for (const start of gaps.keys()) if (start < fromPosition) gaps.delete(start);
      const messages: RawMessage[] = [];
      let expected = fromPosition;
      for (const row of result.rows) {
        if (row.global_position === null) break; // no messages at all from here
        const position = Number(row.global_position);
        if (position > expected) {
          let gap = gaps.get(expected);
          if (!gap) gaps.set(expected, (gap = { writers: row.writers ?? [], ended: false }));
          if (!gap.ended) {
            // Ended now, after these rows were read: what they committed shows only in the next
            // read, so pass the gap then, not now.
            gap.ended = !(await stillWriting(gap.writers));
            return { messages, waiting: true };
          }
          gaps.delete(expected);
        }
        messages.push(fromRow(row));
        expected = position + 1;
      }
      return { messages, waiting: false };
    },
  };
}
