/**
 * Query text is built from fixed fragments only; every value a visitor gave goes in as a
 * parameter, numbered in the order it is added.
 */
interface Params {
  /** Adds a value and returns its placeholder ($n). */
  add(value: unknown): string;
  readonly values: unknown[];
}

export function createParams(): Params {
  const values: unknown[] = [];
  return {
    values,
    add(value) {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

/**
 * How many messages one request may look through for a condition no index serves (type,
 * userId, a causation link). Message DB indexes global position, stream and category, and this
 * app adds only a trace-id index; so such a search reads a window of this many global
 * positions (along the primary key or a category's index) and says how far it got, rather than
 * scan a million rows. On 1.2 million messages (warm cache, 2 vCPUs) such a page
 * took 7–15 ms; a page of indexed filters alone about 1 ms; the whole table, 0.3–0.7 s.
 */
export const SCAN_WINDOW = 50_000;
