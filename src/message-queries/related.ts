import type pg from 'pg';
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

/** How many related messages a detail page lists; the trace page shows them all. */
const LISTED = 100;

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
  /** Other messages of the same trace, in global order. */
  readonly sameTrace: readonly MessageSummary[];
  /** The global positions looked through; neither list knows of messages outside them. */
  readonly searched: { readonly from: number; readonly to: number };
}

/**
 * What followed from a message and what else its trace holds. No index serves either
 * (causation and trace live in the metadata), so this looks through SCAN_WINDOW messages on
 * each side along the primary key: what follows from a message is written after it, and a
 * trace is one user action, so both are close by. The page says how far it looked.
 */
export async function relatedMessages(pool: pg.Pool, message: MessageSummary, window = SCAN_WINDOW): Promise<Related> {
  const at = message.globalPosition;
  // Three reads of the same neighbourhood, side by side on the pool rather than one after another.
  const [later, earlier, bounds] = await Promise.all([
    pool.query<SummaryRow>(
      `SELECT * FROM (SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) w
        WHERE w.caused_by = $3 OR ($4::text IS NOT NULL AND w.trace_id = $4)
        ORDER BY w.global_position LIMIT $5`,
      [at, window, String(at), message.traceId ?? null, LISTED * 2],
    ),
    message.traceId === undefined
      ? Promise.resolve({ rows: [] as SummaryRow[] })
      : pool.query<SummaryRow>(
          `SELECT * FROM (SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position < $1 ORDER BY global_position DESC LIMIT $2) w
            WHERE w.trace_id = $3 ORDER BY w.global_position DESC LIMIT $4`,
          [at, window, message.traceId, LISTED],
        ),
    pool.query<{ low: string | null; high: string | null }>(
      `SELECT (SELECT min(global_position) FROM (SELECT global_position FROM messages WHERE global_position < $1 ORDER BY global_position DESC LIMIT $2) b) AS low,
              (SELECT max(global_position) FROM (SELECT global_position FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) a) AS high`,
      [at, window],
    ),
  ]);
  const after = later.rows.map(toSummary);
  return {
    consequences: after.filter((row) => row.causedBy === at).slice(0, LISTED),
    sameTrace: [
      ...earlier.rows.reverse().map(toSummary),
      ...after.filter((row) => message.traceId !== undefined && row.traceId === message.traceId),
    ].slice(0, LISTED * 2),
    searched: { from: Number(bounds.rows[0]?.low ?? at), to: Number(bounds.rows[0]?.high ?? at) },
  };
}
