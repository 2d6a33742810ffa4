import test from 'tape';
import { createScope, type Scope } from './scope.ts';

type Body = (t: test.Test, scope: Scope) => Promise<void>;
/** Where the test is registered: tape's own, or a harness of its own (the helper's test). */
type Register = (name: string, run: (t: test.Test) => Promise<void>) => unknown;

/**
 * A tape test with a scope of its own, closed at the test's teardown: after the last assertion,
 * after a failed one, after a throw. What the hand-written `try { … } finally { await
 * scope.close(); }` did, without the block. A cleanup that fails fails the test.
 */
export function scopedTest(name: string, body: Body, register: Register = test): void {
  register(name, async (t) => {
    const scope = createScope();
    closeAtEnd(t, () => scope.close());
    await body(t, scope);
  });
}

/**
 * Runs `close` at the test's teardown (after the last assertion, a failed one, or a throw): for a
 * test that opens one thing, such as a whole system, without a scope. A close that fails fails the test.
 */
export function closeAtEnd(t: test.Test, close: () => Promise<unknown>): void {
  // Caught here: tape never finishes a test whose teardown promise rejects.
  t.teardown(() =>
    close().then(
      () => undefined,
      (error: unknown) => t.error(error, 'cleanup'),
    ),
  );
}
