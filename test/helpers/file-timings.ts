/**
 * Loaded with `--import` by test/run-shards.ts into each shard: measures how long each test file's
 * tests ran (from the first start to the last end, summed over its top-level tests) and writes
 * `{ file: seconds }` to TEST_TIMINGS_OUT as it goes. The runner balances the next
 * run's shards by these figures.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import test from 'tape';

interface TapeHarnessInternals {
  readonly _results?: { on(event: '_push', listener: (t: EventEmitter) => void): void };
}

const out = process.env.TEST_TIMINGS_OUT;
const root = process.cwd();
// A test file's frame in the stack of the call that registered a test (helpers like scopedTest sit between).
const TEST_FILE = /(?:file:\/\/)?(\/[^\s:()]+\.(?:test|browser)\.ts):\d+/;

const seconds = new Map<string, number>();

if (out !== undefined) {
  // tape's runner holds the tests until every file is loaded (wait, then run); the harness made
  // here, before it says so, must hold them too, or it would start and finish with none.
  test.wait();
  (test.getHarness() as unknown as TapeHarnessInternals)._results?.on('_push', (t) => {
    // The registering file sits below tape's frames and any helper's: look further than the default 10.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 50;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    const file = TEST_FILE.exec(stack)?.[1];
    if (file === undefined) return;
    const key = path.relative(root, file);
    let started = 0;
    t.once('prerun', () => (started = performance.now()));
    t.once('end', () => {
      seconds.set(key, (seconds.get(key) ?? 0) + (performance.now() - started) / 1000);
      // Written as each test ends: tape's own exit hook calls process.exit, and one added after it never runs.
      writeFileSync(out, JSON.stringify(Object.fromEntries(seconds)));
    });
  });
}
