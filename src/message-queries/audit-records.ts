import type pg from 'pg';
import { RAW_MESSAGE_COLUMNS, recordFromRow, type AuditRecord, type RawMessageRow } from '../audit/canonical.ts';

/*
 * Reads of Message DB's table as the chain hashes it. They go to the table, not through Message
 * DB's functions: those return a composite type whose time and ids the driver would parse, and
 * the chain needs the exact text. The message_store role may SELECT the table.
 */

/** The messages at these global positions, in global order; a position with no row is absent. */
export async function readRecordsAt(pool: pg.Pool, globalPositions: readonly number[]): Promise<AuditRecord[]> {
  if (globalPositions.length === 0) return [];
  const result = await pool.query<RawMessageRow>(
    `SELECT ${RAW_MESSAGE_COLUMNS} FROM message_store.messages WHERE global_position = ANY($1::bigint[]) ORDER BY messages.global_position`,
    [globalPositions],
  );
  return result.rows.map(recordFromRow);
}

/** Up to `limit` messages after global position `after` and at most `upTo`, in global order (a keyset page). */
export async function readRecordsAfter(
  pool: pg.Pool,
  after: number,
  upTo: number,
  limit: number,
): Promise<AuditRecord[]> {
  // No upper bound in SQL, and the text built only for the rows the limit keeps: with a bound,
  // a table without fresh statistics gets a plan that renders every row up to it, per page.
  const result = await pool.query<RawMessageRow>(
    `SELECT ${RAW_MESSAGE_COLUMNS}
       FROM (SELECT * FROM message_store.messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) AS messages
      ORDER BY messages.global_position`,
    [after, limit],
  );
  return result.rows.map(recordFromRow).filter((record) => Number(record.globalPosition) <= upTo);
}

/** How many messages lie above `after`: those the chain has not covered yet. */
export async function countRecordsAfter(pool: pg.Pool, after: number): Promise<number> {
  const result = await pool.query<{ count: string }>(
    'SELECT count(*) AS count FROM message_store.messages WHERE global_position > $1',
    [after],
  );
  return Number(result.rows[0]?.count ?? 0);
}

/** The newest AuditChainVerified of `adminActionsCategory`, as stored: its data, time and position. */
export async function newestAuditChainVerified(
  pool: pg.Pool,
  adminActionsCategory: string,
): Promise<{ data: unknown; at: Date; global_position: string } | undefined> {
  const result = await pool.query<{ data: unknown; at: Date; global_position: string }>(
    `SELECT data, time AT TIME ZONE 'UTC' AS at, global_position
       FROM message_store.messages
      WHERE message_store.category(stream_name) = $1 AND type = 'AuditChainVerified'
      ORDER BY global_position DESC
      LIMIT 1`,
    [adminActionsCategory],
  );
  return result.rows[0];
}
