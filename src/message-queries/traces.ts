import type pg from 'pg';
import { SCAN_WINDOW } from './sql.ts';
import { SUMMARY_COLUMNS, toSummary, type MessageSummary, type SummaryRow } from './stored.ts';

/** More than any one user action writes; a trace longer than this is cut and says so. */
export const TRACE_LIMIT = 1_000;

export type TraceScope =
  /** SCAN_WINDOW messages on each side of a position the trace is known to touch (or the newest, without one). */
  | { readonly kind: 'around'; readonly at?: number; readonly window?: number }
  /** Every message in the store: a full scan, for when the window missed part of a trace. */
  | { readonly kind: 'all' };

interface FoundTrace {
  /** In global order. */
  readonly messages: readonly MessageSummary[];
  /** The global positions looked through, or undefined for the whole store. */
  readonly searched: { readonly from: number; readonly to: number } | undefined;
  readonly truncated: boolean;
}

/**
 * The messages of one trace. The trace id lives in the metadata, which no index covers, so
 * by default this reads a window along the primary key around a position the caller knows
 * (links to a trace carry one). A trace is one user action and its consequences, written
 * close together; `all` scans the whole store for the rest (about a quarter of a second per
 * million messages on a warm store, linearly more beyond).
 */
export async function findTrace(pool: pg.Pool, traceId: string, scope: TraceScope): Promise<FoundTrace> {
  if (scope.kind === 'all') {
    const result = await pool.query<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM messages WHERE metadata->>'traceId' = $1 ORDER BY global_position LIMIT $2`,
      [traceId, TRACE_LIMIT + 1],
    );
    return {
      messages: result.rows.slice(0, TRACE_LIMIT).map(toSummary),
      searched: undefined,
      truncated: result.rows.length > TRACE_LIMIT,
    };
  }
  const window = scope.window ?? SCAN_WINDOW;
  // Without a position to start from, the newest messages: a trace just made is looked at most.
  const at = scope.at ?? Number.MAX_SAFE_INTEGER;
  // The trace's rows and the window's extent, side by side on the pool.
  const [result, bounds] = await Promise.all([
    pool.query<SummaryRow>(
      `SELECT * FROM (
         (SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position <= $1 ORDER BY global_position DESC LIMIT $2)
         UNION ALL
         (SELECT ${SUMMARY_COLUMNS} FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2)
       ) w WHERE w.trace_id = $3 ORDER BY w.global_position LIMIT $4`,
      [at, window, traceId, TRACE_LIMIT + 1],
    ),
    pool.query<{ low: string | null; high: string | null }>(
      `SELECT (SELECT min(global_position) FROM (SELECT global_position FROM messages WHERE global_position <= $1 ORDER BY global_position DESC LIMIT $2) b) AS low,
              (SELECT max(global_position) FROM (SELECT global_position FROM messages WHERE global_position > $1 ORDER BY global_position LIMIT $2) a) AS high`,
      [at, window],
    ),
  ]);
  const low = bounds.rows[0]?.low;
  const high = bounds.rows[0]?.high ?? low;
  return {
    messages: result.rows.slice(0, TRACE_LIMIT).map(toSummary),
    searched: low === null || low === undefined ? { from: 0, to: 0 } : { from: Number(low), to: Number(high) },
    truncated: result.rows.length > TRACE_LIMIT,
  };
}
