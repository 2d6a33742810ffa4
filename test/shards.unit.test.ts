import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { assign } from './helpers/shards.ts';

test('shards: with no timings, files are dealt in path order', (t) => {
  t.deepEqual(assign(['a', 'b', 'c', 'd', 'e'], 2, {}), [
    ['a', 'c', 'e'],
    ['b', 'd'],
  ]);
  t.end();
});

test('shards: by the last run, the longest go first, each to the lightest shard, and every file runs once', (t) => {
  const timings = { a: 40, b: 30, c: 20, d: 10, e: 5, f: 5 };
  const groups = assign(Object.keys(timings), 2, timings);
  const load = (group: readonly string[]) =>
    group.reduce((sum, file) => sum + timings[file as keyof typeof timings], 0);
  t.deepEqual(groups.map(load), [55, 55], 'the two shards carry the same seconds');
  t.deepEqual(groups.flat().sort(), ['a', 'b', 'c', 'd', 'e', 'f'], 'each file once');
  t.end();
});

test('shards: a file never timed weighs the median; no shard is left empty', (t) => {
  const groups = assign(['new', 'old1', 'old2', 'old3'], 3, { old1: 1, old2: 100, old3: 2 });
  t.equal(groups.length, 3);
  t.ok(
    groups.some((group) => group.length === 1 && group[0] === 'old2'),
    'the long file has a shard of its own',
  );
  t.deepEqual(assign(['a'], 3, { a: 1 }), [['a']], 'one file, one shard');
  t.end();
});

test('shards: an untimed file is guessed from files of its kind, so a quick unit tier does not make new database tests look free', (t) => {
  const timings = {
    'regex.unit.test.ts': 30,
    'u1.unit.test.ts': 0.1,
    'u2.unit.test.ts': 0.1,
    'u3.unit.test.ts': 0.1,
    'app.test.ts': 10,
  };
  const files = [...Object.keys(timings), 'new1.test.ts', 'new2.test.ts', 'new3.test.ts', 'new4.test.ts'];
  const groups = assign(files, 2, timings);
  const withRegex = groups.find((group) => group.includes('regex.unit.test.ts'))!;
  t.ok(
    withRegex.some((file) => file.startsWith('new')),
    'the slow unit file does not get a shard to itself while four new database tests pile onto the other',
  );
  t.end();
});

test('shards: the committed seconds per file (a clean clone’s only timings) name test files that exist, each with a figure', (t) => {
  const root = path.resolve(import.meta.dirname, '..');
  const baseline = JSON.parse(readFileSync(path.join(import.meta.dirname, 'shard-timings.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const entries = Object.entries(baseline);
  t.ok(entries.length > 100, `${entries.length} files`);
  t.deepEqual(
    entries.filter(([file]) => !existsSync(path.join(root, file))).map(([file]) => file),
    [],
    'no file that is gone (copy the cache over it when files move)',
  );
  t.ok(
    entries.every(([, seconds]) => typeof seconds === 'number' && seconds >= 0),
    'seconds, as numbers',
  );
  t.end();
});
