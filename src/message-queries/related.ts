import type pg from 'pg';
import { TRACE_ID_EXPRESSION } from '../message-store/index.ts';
import { SCAN_WINDOW } from './sql.ts';
import {
  MESSAGE_COLUMNS,
  SUMMARY_COLUMNS,
  toStoredMessage,
  toSummary,
  type MessageRow,
  type MessageSummary,
  type StoredMessage,
  type SummaryRow,
} from './stored.ts';

/** How many consequences a detail page lists; the trace page shows them all. */
const LISTED = 100;
/** How many other messages of its trace a detail page lists. */
const TRACE_LISTED = 200;

export async function loadMessage(pool: pg.Pool, globalPosition: number): Promise<StoredMessage | undefined> {
  const result = await pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE global_position = $1`, [
    globalPosition,
  ]);
  const row = result.rows[0];
  return row ? toStoredMessage(row) : undefined;
}

export async function loadSummary(pool: pg.Pool, globalPosition: number): Promise<MessageSummary | undefined> {
  const result = await pool.query<SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position = $1`, [
    globalPosition,
  ]);
  const row = result.rows[0];
  return row ? toSummary(row) : undefined;
}

interface Related {
  /** Messages whose causationMessageGlobalPosition is this one's. */
  readonly consequences: readonly MessageSummary[];
  /** Other messages of the same trace, in global order: the first TRACE_LISTED of them. */
  readonly sameTrace: readonly MessageSummary[];
  /** Whether the trace holds more than are listed. */
  readonly sameTraceCut: boolean;
  /** The global positions looked through for consequences (none when `to` < `from`: nothing was written after it). */
  readonly searched: { readonly from: number; readonly to: number };
}

/**
 * What followed from a message and what else its trace holds. The trace comes whole from the
 * trace-id index. No index serves causation (it lives in the metadata), so consequences are
 * looked for in the SCAN_WINDOW messages after this one along the primary key: what follows
 * from a message is written after it, close by. The page says how far it looked.
 */
export async function relatedMessages(pool: pg.Pool, message: MessageSummary, window = SCAN_WINDOW): Promise<Related> {
  const at = message.globalPosition;
  // Side by side on the pool rather than one after another.
  const [later, trace, bounds] = await Promise.all([
    pool.query<SummaryRow>(
      `SELECT * FROM (SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) w
        WHERE w.caused_by = $3 ORDER BY w.global_position LIMIT $4`,
      [at, window, String(at), LISTED],
    ),
    message.traceId === undefined
      ? Promise.resolve({ rows: [] as SummaryRow[] })
      : pool.query<SummaryRow>(
          `SELECT ${SUMMARY_COLUMNS} FROM messages WHERE ${TRACE_ID_EXPRESSION} = $1 AND global_position <> $2
            ORDER BY global_position LIMIT $3`,
          [message.traceId, at, TRACE_LISTED + 1],
        ),
    pool.query<{ high: string | null }>(
      `SELECT max(global_position) AS high FROM (SELECT global_position FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) a`,
      [at, window],
    ),
  ]);
  return {
    consequences: later.rows.map(toSummary),
    sameTrace: trace.rows.slice(0, TRACE_LISTED).map(toSummary),
    sameTraceCut: trace.rows.length > TRACE_LISTED,
    searched: { from: at + 1, to: Number(bounds.rows[0]?.high ?? at) },
  };
}
