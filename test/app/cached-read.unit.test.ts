import test from 'tape';
import { cachedRead } from '../../src/web/cached-read.ts';

test('cached read: one load serves every request until it is too old or the projection moves', async (t) => {
  let clock = 1_000;
  let loads = 0;
  let value = 1;
  const read = cachedRead(
    async () => {
      loads += 1;
      return value;
    },
    250,
    () => clock,
  );

  t.deepEqual(await Promise.all([read.get(), read.get(), read.get()]), [1, 1, 1], 'requests at once share one load');
  t.equal(loads, 1);
  value = 2;
  clock += 249;
  t.equal(await read.get(), 1, 'younger than the bound: no query');
  t.equal(loads, 1);
  clock += 1;
  t.equal(await read.get(), 2, 'at the bound it loads again');
  t.equal(loads, 2);
  value = 3;
  read.invalidate();
  t.equal(await read.get(), 3, 'after the projection moves, at once');
  t.equal(loads, 3);
});

test('cached read: a failed load is not kept, and a load overtaken by a change is served but not kept', async (t) => {
  let fail = true;
  let loads = 0;
  let release!: () => void;
  let gate: Promise<void> | undefined;
  const read = cachedRead(async () => {
    loads += 1;
    if (gate) await gate;
    if (fail) throw new Error('database down');
    return loads;
  }, 10_000);
  try {
    await read.get();
    t.fail('the failure should reach the request');
  } catch (error) {
    t.match(String(error), /database down/);
  }
  fail = false;
  t.equal(await read.get(), 2, 'the next request loads again');

  read.invalidate();
  gate = new Promise<void>((resolve) => (release = resolve));
  const overtaken = read.get();
  read.invalidate(); // the projection moves while the load is on its way
  release();
  t.equal(await overtaken, 3, 'the request that asked gets the value');
  gate = undefined;
  t.equal(await read.get(), 4, 'but the next one loads afresh');
});
