/** A forward-only view of rows read a page at a time: constant memory over any number of rows. */
export interface Cursor<T> {
  /** The current row, reading the next page when the current one is used up; undefined at the end. */
  peek(): Promise<T | undefined>;
  /** Moves past the current row. */
  next(): void;
}

/**
 * `fetch(after)` returns the page of rows positioned after `after`, in order; an empty page ends
 * it. The next page is read while this one is used, so two cursors over two databases and the
 * hashing between them overlap instead of taking turns; memory stays at two pages.
 */
export function pagedCursor<T>(fetch: (after: number) => Promise<T[]>, positionOf: (row: T) => number): Cursor<T> {
  let page: T[] = [];
  let index = 0;
  let ended = false;
  let upcoming: Promise<T[]> | undefined = fetch(0);

  function prefetchAfter(rows: readonly T[]): void {
    const last = rows.at(-1);
    upcoming = last === undefined ? undefined : fetch(positionOf(last));
    // Its error is seen when the page is awaited; until then it must not count as unhandled.
    upcoming?.catch(() => undefined);
  }
  upcoming.catch(() => undefined);

  return {
    async peek() {
      if (index < page.length) return page[index];
      if (ended) return undefined;
      page = upcoming ? await upcoming : [];
      index = 0;
      if (page.length === 0) {
        ended = true;
        return undefined;
      }
      prefetchAfter(page);
      return page[0];
    },
    next() {
      index += 1;
    },
  };
}
