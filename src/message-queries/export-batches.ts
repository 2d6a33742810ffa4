import type pg from 'pg';
import type { ExportCondition } from './export-conditions.ts';
import { MESSAGE_COLUMNS, toStoredMessage, type MessageRow, type StoredMessage } from './stored.ts';

/** Rows per query: a few MB at most, however large the export. */
const EXPORT_BATCH = 500;

/** A condition (see export-conditions.ts) between two global positions. */
export interface ExportScan extends ExportCondition {
  /** Global positions above this one (0 for the beginning). */
  readonly after: number;
  /** Up to and including this one: fixed when the export starts, so it is the store as of then. */
  readonly upTo: number;
}

/**
 * The messages matching a condition in global order, in keyset batches: each query starts past
 * the last row of the one before, so memory stays at one batch and no cursor or transaction is
 * held open while the response drains to a slow client.
 */
export async function* exportBatches(
  pool: pg.Pool,
  { condition, values, after, upTo }: ExportScan,
  batchSize = EXPORT_BATCH,
): AsyncGenerator<StoredMessage[]> {
  const n = values.length;
  let last = after;
  for (;;) {
    const result = await pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages
        WHERE global_position > $${n + 1} AND global_position <= $${n + 2} AND (${condition})
        ORDER BY global_position LIMIT $${n + 3}`,
      [...values, last, upTo, batchSize],
    );
    if (result.rows.length === 0) return;
    const batch = result.rows.map(toStoredMessage);
    yield batch;
    if (batch.length < batchSize) return;
    last = batch.at(-1)!.globalPosition;
  }
}
