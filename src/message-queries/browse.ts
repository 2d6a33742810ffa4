import type pg from 'pg';
import { CATEGORY_OF_ROW, TRACE_ID_EXPRESSION } from '../message-store/index.ts';
import { POSITION_CATEGORY } from '../subscription/component-processor.ts';
import { positionAtTime } from './position-at-time.ts';
import { createParams, SCAN_WINDOW } from './sql.ts';
import { SUMMARY_COLUMNS, toSummary, type MessageSummary, type SummaryRow } from './stored.ts';

/** What the message browser narrows by; every field is optional. */
export interface BrowseFilters {
  readonly category?: string;
  readonly stream?: string;
  readonly type?: string;
  readonly traceId?: string;
  readonly userId?: string;
  /** Inclusive. */
  readonly from?: Date;
  /** Exclusive. */
  readonly to?: Date;
}

export interface BrowseQuery {
  readonly filters: BrowseFilters;
  /**
   * Whether to list subscribers' position bookkeeping (their `Read` messages in subscriberPosition
   * streams) when no category or stream is asked for. Off by default: on a quiet site most of the
   * newest messages are those, and they hide the ones an admin is looking for.
   */
  readonly showBookkeeping?: boolean;
  /** Keyset cursor: only messages below this global position. */
  readonly before?: number;
}

interface BrowsePage {
  /** Newest first. */
  readonly messages: readonly MessageSummary[];
  /** The cursor of the next, older page; undefined at the oldest. */
  readonly older: number | undefined;
  /**
   * Set when a filter no index serves ran out of window before the page was full: the global
   * positions looked through. `older` then goes on below them.
   */
  readonly searched: { readonly from: number; readonly to: number } | undefined;
}

interface BrowseOptions {
  readonly pageSize?: number;
  /** How far one page may look for a filter no index serves (see SCAN_WINDOW). */
  readonly window?: number;
}

interface Plan {
  /** Conditions an index serves (the access path), in SQL over `messages`. */
  readonly indexed: string[];
  /** Conditions checked row by row, in SQL over the summary's columns. */
  readonly residual: string[];
  readonly values: unknown[];
  /** How many of `values` the indexed conditions use (they come first). */
  readonly indexedValues: number;
  readonly byStream: boolean;
  /** The lowest global position the time range allows. */
  readonly floor: number | undefined;
}

const where = (conditions: readonly string[]): string =>
  conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';

async function positionInStream(pool: pg.Pool, stream: string, globalPosition: number): Promise<number | undefined> {
  const result = await pool.query<{ position: string }>(
    'SELECT position FROM messages WHERE global_position = $1 AND stream_name = $2',
    [globalPosition, stream],
  );
  const position = result.rows[0]?.position;
  return position === undefined ? undefined : Number(position);
}

/**
 * The access path: a stream is read along its (stream_name, position) index, a category along
 * Message DB's (category, global_position) index, a trace by our trace-id index, anything else
 * along the primary key, newest first. A time range becomes a range of global positions on that
 * path. What no index serves (type, user, the exact time) is checked row by row.
 */
async function plan(pool: pg.Pool, { filters, before, showBookkeeping }: BrowseQuery): Promise<Plan | undefined> {
  const floor = filters.from === undefined ? undefined : await positionAtTime(pool, filters.from);
  const ceiling = filters.to === undefined ? undefined : await positionAtTime(pool, filters.to);
  // An empty store has no position for a time.
  if ((filters.from && floor === undefined) || (filters.to && ceiling === undefined)) return undefined;
  // The indexed conditions take the first parameters, so a query of the path alone can reuse them.
  const params = createParams();
  const indexed: string[] = [];
  if (filters.stream) {
    indexed.push(`stream_name = ${params.add(filters.stream)}`);
    // Within a stream the position orders as the global position does, and the index has it.
    const cursor = before === undefined ? undefined : await positionInStream(pool, filters.stream, before);
    if (cursor !== undefined) indexed.push(`position < ${params.add(cursor)}`);
    else if (before !== undefined) indexed.push(`global_position < ${params.add(before)}`);
  } else {
    if (filters.category) indexed.push(`category(stream_name) = ${params.add(filters.category)}`);
    // Bookkeeping is left out along the path itself, not row by row in a window: a subscriber
    // writes a Read now and then (every 100 messages, or on catching up), so a walk down the
    // primary key passes few of them before a page is full. After a long catch-up it may pass
    // thousands, each checked: hence the built-in, not Message DB's category().
    else if (!showBookkeeping) indexed.push(`${CATEGORY_OF_ROW} <> ${params.add(POSITION_CATEGORY)}`);
    if (before !== undefined) indexed.push(`global_position < ${params.add(before)}`);
  }
  if (floor !== undefined) indexed.push(`global_position >= ${params.add(floor)}`);
  if (ceiling !== undefined) indexed.push(`global_position < ${params.add(ceiling)}`);
  // A trace is a handful of messages, found whole by its index wherever they lie.
  if (filters.traceId) indexed.push(`${TRACE_ID_EXPRESSION} = ${params.add(filters.traceId)}`);
  const indexedValues = params.values.length;
  const residual: string[] = [];
  if (filters.from) residual.push(`time >= ${params.add(filters.from.toISOString())}::timestamptz`);
  if (filters.to) residual.push(`time < ${params.add(filters.to.toISOString())}::timestamptz`);
  if (filters.type) residual.push(`type = ${params.add(filters.type)}`);
  if (filters.userId) residual.push(`user_id = ${params.add(filters.userId)}`);
  return { indexed, residual, values: params.values, indexedValues, byStream: filters.stream !== undefined, floor };
}

const EMPTY: BrowsePage = { messages: [], older: undefined, searched: undefined };

/** Messages on a page of the browser, unless a caller asks for another size. */
export const BROWSE_PAGE_SIZE = 50;

/** One page of the message browser, newest first, by keyset on the global position. */
export async function browseMessages(
  pool: pg.Pool,
  query: BrowseQuery,
  { pageSize = BROWSE_PAGE_SIZE, window = SCAN_WINDOW }: BrowseOptions = {},
): Promise<BrowsePage> {
  const chosen = await plan(pool, query);
  if (!chosen) return EMPTY;
  if (chosen.residual.length === 0) {
    const { indexed, values, byStream } = chosen;
    const result = await pool.query<SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM messages ${where(indexed)} ORDER BY ${byStream ? 'position' : 'global_position'} DESC LIMIT $${values.length + 1}`,
      [...values, pageSize + 1],
    );
    return pageOf(result.rows.map(toSummary), pageSize);
  }
  return chosen.byStream
    ? streamWindow(pool, chosen, pageSize, window)
    : positionWindow(pool, chosen, pageSize, window);
}

function pageOf(rows: readonly MessageSummary[], pageSize: number): BrowsePage {
  const messages = rows.slice(0, pageSize);
  return { messages, older: rows.length > pageSize ? messages.at(-1)!.globalPosition : undefined, searched: undefined };
}

/**
 * Along the primary key or a category: the window is a span of `window` global positions from
 * the path's newest candidate down, so a page reads at most that many rows, and rows that lie
 * together on disk (a window of rows along the category index would be scattered). If the page
 * is not full, the next page starts at the path's next message below the span, found by the
 * index, so a rare category crosses empty stretches in one step.
 */
async function positionWindow(
  pool: pg.Pool,
  { indexed, residual, values, indexedValues, floor }: Plan,
  pageSize: number,
  window: number,
): Promise<BrowsePage> {
  const pathValues = values.slice(0, indexedValues);
  // The span starts at the path's newest message below the cursor (and the time range's end).
  const newest = await pool.query<{ newest: string | null }>(
    `SELECT max(global_position) AS newest FROM messages ${where(indexed)}`,
    pathValues,
  );
  const head = newest.rows[0]?.newest;
  if (head === null || head === undefined) return EMPTY;
  const top = Number(head) + 1;
  const low = Math.max(top - window, floor ?? 1, 1);
  const result = await pool.query<SummaryRow>(
    `SELECT * FROM (SELECT ${SUMMARY_COLUMNS} FROM messages ${where([...indexed, `global_position >= $${values.length + 1}`, `global_position < $${values.length + 2}`])}) w
      ${where(residual)} ORDER BY global_position DESC LIMIT $${values.length + 3}`,
    [...values, low, top, pageSize + 1],
  );
  const rows = result.rows.map(toSummary);
  if (rows.length > pageSize) return pageOf(rows, pageSize);
  const next = await pool.query<{ next: string | null }>(
    `SELECT max(global_position) AS next FROM messages ${where([...indexed, `global_position < $${indexedValues + 1}`])}`,
    [...pathValues, low],
  );
  const below = next.rows[0]?.next;
  if (below === null || below === undefined) return { messages: rows, older: undefined, searched: undefined };
  return { messages: rows, older: Number(below) + 1, searched: { from: low, to: top - 1 } };
}

/**
 * Along a stream's index: the window is `window` of its messages below the cursor, read in
 * position order (a stream's messages are its own, so there is no empty stretch to cross).
 */
async function streamWindow(
  pool: pg.Pool,
  { indexed, residual, values, indexedValues }: Plan,
  pageSize: number,
  window: number,
): Promise<BrowsePage> {
  const scan = `SELECT ${SUMMARY_COLUMNS} FROM messages ${where(indexed)} ORDER BY position DESC LIMIT $${values.length + 2}`;
  const result = await pool.query<SummaryRow>(
    `SELECT * FROM (${scan}) w ${where(residual)} ORDER BY position DESC LIMIT $${values.length + 1}`,
    [...values, pageSize + 1, window],
  );
  const rows = result.rows.map(toSummary);
  if (rows.length > pageSize) return pageOf(rows, pageSize);
  const extent = await pool.query<{ scanned: string; low: string | null; high: string | null }>(
    `SELECT count(*) AS scanned, min(global_position) AS low, max(global_position) AS high
       FROM (SELECT global_position FROM messages ${where(indexed)} ORDER BY position DESC LIMIT $${indexedValues + 1}) w`,
    [...values.slice(0, indexedValues), window],
  );
  const { scanned, low, high } = extent.rows[0] ?? { scanned: '0', low: null, high: null };
  if (Number(scanned) < window || low === null || high === null)
    return { messages: rows, older: undefined, searched: undefined };
  return { messages: rows, older: Number(low), searched: { from: Number(low), to: Number(high) } };
}
