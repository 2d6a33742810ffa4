/** A forward-only view of rows read a page at a time: constant memory over any number of rows. */
export interface Cursor<T> {
  /** The current row, reading the next page when the current one is used up; undefined at the end. */
  peek(): Promise<T | undefined>;
  /** Moves past the current row. */
  next(): void;
}

/** `fetch(after)` returns the page of rows positioned after `after`, in order; an empty page ends it. */
export function pagedCursor<T>(fetch: (after: number) => Promise<T[]>, positionOf: (row: T) => number): Cursor<T> {
  let page: T[] = [];
  let index = 0;
  let after = 0;
  let ended = false;
  return {
    async peek() {
      if (index < page.length) return page[index];
      if (ended) return undefined;
      page = await fetch(after);
      index = 0;
      const last = page.at(-1);
      if (last === undefined) {
        ended = true;
        return undefined;
      }
      after = positionOf(last);
      return page[0];
    },
    next() {
      index += 1;
    },
  };
}
