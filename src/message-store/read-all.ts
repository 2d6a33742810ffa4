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

interface Gap {
  /** pg_snapshot_xmax when the gap was first seen: every transaction that could fill it is older. */
  readonly xmax: bigint;
  readonly seenAt: number;
}

type Row = MessageRow & { snapshot_xmin: string; snapshot_xmax: string };

/**
 * Message DB orders commits within a category (its category lock), not across categories: a
 * message at global position 10 may commit after 11 is visible. Reading every category by
 * position would skip it for good. So a gap is held until every transaction that was running
 * when it was first seen has ended (the snapshot's xmin has passed that snapshot's xmax); what
 * is still missing then was rolled back. `graceMs` covers the instant between a writer drawing
 * its position and taking its transaction id.
 */
export function createAllMessagesReader(pool: pg.Pool, { graceMs = 50 }: { graceMs?: number } = {}): AllMessagesReader {
  const gaps = new Map<number, Gap>();

  function passable(start: number, xmin: bigint, xmax: bigint, now: number): boolean {
    const gap = gaps.get(start);
    if (!gap) {
      gaps.set(start, { xmax, seenAt: now });
      return false;
    }
    if (xmin >= gap.xmax && now - gap.seenAt >= graceMs) {
      gaps.delete(start);
      return true;
    }
    return false;
  }

  return {
    async read(fromPosition, batchSize) {
      // One statement, so the rows and the snapshot describe the same instant.
      const result = await pool.query<Row>(
        `SELECT pg_snapshot_xmin(s.snapshot)::text AS snapshot_xmin, pg_snapshot_xmax(s.snapshot)::text AS snapshot_xmax, m.*
           FROM (SELECT pg_current_snapshot() AS snapshot) s
           LEFT JOIN LATERAL (
             SELECT id::text AS id, stream_name, type, position, global_position, data::text AS data, metadata::text AS metadata, time
               FROM messages WHERE global_position >= $1 ORDER BY global_position LIMIT $2
           ) m ON true`,
        [fromPosition, batchSize],
      );
      const now = Date.now();
      for (const start of gaps.keys()) if (start < fromPosition) gaps.delete(start);
      const messages: RawMessage[] = [];
      let expected = fromPosition;
      for (const row of result.rows) {
        if (row.global_position === null) break; // no messages at all from here
        const position = Number(row.global_position);
        if (position > expected && !passable(expected, BigInt(row.snapshot_xmin), BigInt(row.snapshot_xmax), now)) {
          return { messages, waiting: true };
        }
        messages.push(fromRow(row));
        expected = position + 1;
      }
      return { messages, waiting: false };
    },
  };
}
