/** A page bench:catalog loads: one path, or many in turn, and what it must show. */
export interface Page {
  readonly label: string;
  readonly path: string;
  readonly loggedIn: boolean;
  /** Paths asked for in turn instead of `path` alone (each request the next): pages no cache has seen. */
  readonly inTurn?: readonly string[];
  /** Something the page must show, checked once before it is loaded. */
  readonly shows?: RegExp;
  readonly goal: { readonly p50?: number; readonly p99: number };
}

/** Issue 19's and 20's goal for a page that is not a search. */
export const PAGE_GOAL = { p99: 50 };
