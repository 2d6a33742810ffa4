import test from 'tape';
import { scopedTest } from './helpers/scoped-test.ts';

/** Runs `define` on a harness of its own, so a test made to fail there does not fail this run. */
async function runAside(define: (harness: ReturnType<typeof test.createHarness>) => void): Promise<{ ok: boolean }> {
  const harness = test.createHarness();
  const stream = harness.createStream({ objectMode: true });
  let ok = true;
  stream.on('data', (row: { type?: string; ok?: boolean }) => {
    if (row.type === 'assert' && row.ok === false) ok = false;
  });
  define(harness);
  await new Promise<void>((resolve) => harness.onFinish(() => resolve()));
  return { ok };
}

test('scopedTest: what the scope opened is closed after the test, in reverse order, even when the body throws', async (t) => {
  const closed: string[] = [];
  const passing = await runAside((harness) =>
    scopedTest(
      'aside: passes',
      async (inner, scope) => {
        scope.add('first', (name) => closed.push(name));
        scope.add('second', (name) => closed.push(name));
        inner.pass('body ran');
      },
      harness,
    ),
  );
  t.ok(passing.ok, 'a passing body passes');
  t.deepEqual(closed, ['second', 'first'], 'closed in reverse order after it');

  closed.length = 0;
  const throwing = await runAside((harness) =>
    scopedTest(
      'aside: throws',
      async (_inner, scope) => {
        scope.add('opened', (name) => closed.push(name));
        throw new Error('the body failed');
      },
      harness,
    ),
  );
  t.notOk(throwing.ok, 'a throwing body fails its test');
  t.deepEqual(closed, ['opened'], 'and what it opened is still closed');

  const failingCleanup = await runAside((harness) =>
    scopedTest(
      'aside: cleanup fails',
      async (inner, scope) => {
        scope.add('x', () => Promise.reject(new Error('could not close')));
        inner.pass('body ran');
      },
      harness,
    ),
  );
  t.notOk(failingCleanup.ok, 'a cleanup that fails fails the test (and the run still ends)');
});
