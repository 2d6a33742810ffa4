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

/** A cachedRead per key, for a read that depends on one thing (a video's up next). */
interface KeyedCachedRead<T> {
  /** The key's cached value if young enough, else `load()`'s (the first loader given for a key is the one it keeps). */
  get(key: string, load: () => Promise<T>): Promise<T>;
}

/**
 * cachedRead for each key, with no invalidation: never older than `maxAgeMs`. At most `maxKeys`
 * are kept, the least recently asked for dropped first, so a crawler walking every video holds
 * memory for a few, not for the catalog.
 */
export function keyedCachedRead<T>(
  maxAgeMs: number,
  maxKeys: number,
  now: () => number = Date.now,
): KeyedCachedRead<T> {
  const reads = new Map<string, CachedRead<T>>();
  return {
    get(key, load) {
      const read = reads.get(key) ?? cachedRead(load, maxAgeMs, now);
      // Re-inserted, so the Map's order is the order of use, oldest first.
      reads.delete(key);
      reads.set(key, read);
      if (reads.size > maxKeys) reads.delete(reads.keys().next().value!);
      return read.get();
    },
  };
}
