/**
 * What a test opened, closed in reverse order in its `finally`, even when an assertion threw:
 * a subscription left running after a failed test would keep the run from ever ending.
 */
export interface Scope {
  /** Registers `close` and returns `value`, for one-line use. */
  add<T>(value: T, close: (value: T) => Promise<unknown> | unknown): T;
  /** Registers a subscription (or anything with stop()). */
  running<T extends { stop(): Promise<void> }>(subscription: T): T;
  close(): Promise<void>;
}

export function createScope(): Scope {
  const closers: Array<() => Promise<unknown> | unknown> = [];
  return {
    add(value, close) {
      closers.push(() => close(value));
      return value;
    },
    running(subscription) {
      closers.push(() => subscription.stop());
      return subscription;
    },
    async close() {
      const errors: unknown[] = [];
      for (const close of closers.splice(0).reverse()) {
        try {
          await close();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
    },
  };
}
