interface CachedRead<T> {
  /** The cached value if younger than the bound, otherwise a fresh one (one load for all waiting). */
  get(): Promise<T>;
  /** The projection moved: the next get() loads afresh. */
  invalidate(): void;
}

/**
 * A projection read held in the web process, so a page costs no query per request while
 * nothing changes. It is refreshed when the projection moves (invalidate(), called by an
 * aggregator in this process) and is never older than `maxAgeMs` (the bound for web processes
 * whose aggregators run elsewhere).
 */
export function cachedRead<T>(load: () => Promise<T>, maxAgeMs: number, now: () => number = Date.now): CachedRead<T> {
  let cached: { value: T; at: number } | undefined;
  let loading: Promise<T> | undefined;
  let generation = 0;

  return {
    get() {
      if (cached && now() - cached.at < maxAgeMs) return Promise.resolve(cached.value);
      if (loading) return loading;
      const started = generation;
      const at = now();
      loading = load()
        .then((value) => {
          // An invalidation during the load means the value may already be stale: serve it, keep it not.
          if (generation === started) cached = { value, at };
          return value;
        })
        .finally(() => {
          loading = undefined;
        });
      return loading;
    },
    invalidate() {
      generation += 1;
      cached = undefined;
    },
  };
}
