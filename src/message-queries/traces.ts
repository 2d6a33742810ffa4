import type pg from 'pg';
import { TRACE_ID_EXPRESSION } from '../message-store/index.ts';
import { SUMMARY_COLUMNS, toSummary, type MessageSummary, type SummaryRow } from './stored.ts';

/** More than any one user action writes; a trace longer than this is cut and says so. */
export const TRACE_LIMIT = 1_000;

/** A trace's messages, oldest first, through the trace-id index. */
export const TRACE_SQL = `SELECT ${SUMMARY_COLUMNS} FROM messages WHERE ${TRACE_ID_EXPRESSION} = $1
  ORDER BY global_position LIMIT $2`;

interface FoundTrace {
  /** In global order. */
  readonly messages: readonly MessageSummary[];
  readonly truncated: boolean;
}

/**
 * The messages of one trace, wherever they lie in the store: the trace-id index gives them
 * all in one read (a trace is one user action, so a handful of rows).
 */
export async function findTrace(pool: pg.Pool, traceId: string): Promise<FoundTrace> {
  const result = await pool.query<SummaryRow>(TRACE_SQL, [traceId, TRACE_LIMIT + 1]);
  return { messages: result.rows.slice(0, TRACE_LIMIT).map(toSummary), truncated: result.rows.length > TRACE_LIMIT };
}
