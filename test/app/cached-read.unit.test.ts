import test from 'tape';
import { cachedRead, keyedCachedRead } from '../../src/web/cached-read.ts';

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

test('keyed cached read: one load per key until it is too old; the least recently asked key goes first when full', async (t) => {
  let clock = 1_000;
  const loads: string[] = [];
  const read = keyedCachedRead<string>(250, 2, () => clock);
  const get = (key: string) =>
    read.get(key, async () => {
      loads.push(key);
      return `${key}@${clock}`;
    });

  t.deepEqual(await Promise.all([get('a'), get('a')]), ['a@1000', 'a@1000'], 'requests at once share one load');
  t.equal(await get('b'), 'b@1000', 'another key, its own load');
  t.deepEqual(loads, ['a', 'b']);
  clock += 249;
  t.equal(await get('a'), 'a@1000', 'younger than the bound: no load');
  t.deepEqual(loads, ['a', 'b']);
  clock += 1;
  t.equal(await get('a'), 'a@1250', 'at the bound it loads again');

  // Full at two, everything young: asking for z drops y (x was asked for since).
  const small = keyedCachedRead<string>(60_000, 2, () => clock);
  const smallLoads: string[] = [];
  const ask = (key: string) =>
    small.get(key, async () => {
      smallLoads.push(key);
      return key;
    });
  for (const key of ['x', 'y', 'x', 'z', 'x']) await ask(key);
  t.deepEqual(smallLoads, ['x', 'y', 'z'], 'x kept: it was asked for after y');
  await ask('y');
  t.deepEqual(smallLoads, ['x', 'y', 'z', 'y'], 'y was dropped, so it loads again');
});

test('keyed cached read: a failed load is kept for no key, and serves no other key', async (t) => {
  const read = keyedCachedRead<string>(60_000, 10, () => 1_000);
  let fail = true;
  const load = (key: string) => async () => {
    if (fail) throw new Error(`no ${key}`);
    return key;
  };
  const [a, b] = await Promise.allSettled([read.get('a', load('a')), read.get('a', load('a'))]);
  t.deepEqual([a.status, b.status], ['rejected', 'rejected'], 'requests at once share the failed load');
  t.equal(await read.get('b', async () => 'b'), 'b', 'another key loads its own');
  fail = false;
  t.equal(await read.get('a', load('a')), 'a', 'the next request for the failed key loads afresh');
});
