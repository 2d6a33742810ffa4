/**
 * `npm test`: runs the test files in a few tape processes side by side ("shards") and adds up
 * their results. Most of a test's time is spent waiting (on PostgreSQL, on a spawned CLI or app,
 * on ffmpeg, on a subscriber to catch up), so on two cores three shards take well under half the
 * time of one. Each shard is a whole tape run with its own databases; its output is printed as one
 * block when it ends, and the last lines are the totals (`# pass N`, `# fail N`) CI reads.
 *
 * Usage: node --import tsx test/run-shards.ts <dir> <suffix>   (e.g. `test .test.ts`)
 * TEST_SHARDS=n sets the number of shards (1 runs everything in one process, as tape alone does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { useEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { createLogger } from '../src/logger.ts';
import { assign } from './helpers/shards.ts';
import { TEST_SERVER_SETTINGS } from './helpers/test-server-settings.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const TIMINGS_CACHE = path.join(ROOT, 'node_modules', '.cache', 'video-tutorials', 'test-timings.json');
/**
 * Seconds per file from one quiet run, committed: a clean clone (CI’s every run) has no cache,
 * and dealt in path order its shards ended up to 30 s apart. Refresh it by copying the cache
 * over it when files are added or grow.
 */
const TIMINGS_BASELINE = path.join(ROOT, 'test', 'shard-timings.json');
const DEFAULT_SHARDS = 3;
/**
 * What one shard may hold open on the test server at its busiest (a test with several app
 * processes and their pools): the shard count is capped so the server's max_connections is never
 * reached. Three shards peaked at 236 connections here, with another test run alongside; a server
 * on PostgreSQL's default of 100 therefore runs one shard (docs/benchmarks.md).
 */
const CONNECTIONS_PER_SHARD = 80;

interface ShardResult {
  readonly index: number;
  readonly files: readonly string[];
  readonly output: string;
  readonly code: number | null;
  readonly seconds: number;
  readonly passed: number;
  readonly failed: number;
}

async function testFiles(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await testFiles(full, suffix)));
    else if (entry.name.endsWith(suffix)) found.push(path.relative(ROOT, full));
  }
  return found.sort();
}

async function readTimingsFrom(file: string): Promise<Record<string, number> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, number>;
  } catch {
    return undefined;
  }
}

/** This checkout's last run's seconds per file (`measured`), and with the committed ones for files it never ran. */
async function readTimings(): Promise<{ measured: Record<string, number>; known: Record<string, number> }> {
  const measured = (await readTimingsFrom(TIMINGS_CACHE)) ?? {};
  return { measured, known: { ...(await readTimingsFrom(TIMINGS_BASELINE)), ...measured } };
}

/** The server's connections not in use now, or undefined when it cannot be asked. */
async function freeConnections(url: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ free: string }>(
      "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - count(*) AS free FROM pg_stat_activity",
    );
    return Number(rows[0]!.free);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const running = new Set<ChildProcess>();

function runShard(
  index: number,
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  timingsOut: string,
): Promise<ShardResult> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/helpers/file-timings.ts', 'node_modules/tape/bin/tape', ...files],
    {
      cwd: ROOT,
      env: { ...env, TEST_TIMINGS_OUT: timingsOut, TEST_SHARD: String(index) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      const count = (label: string): number =>
        Number(
          /^# (?:pass|fail) +(\d+)$/m.exec(
            output
              .split('\n')
              .filter((line) => line.startsWith(`# ${label}`))
              .join('\n'),
          )?.[1] ?? 0,
        );
      resolve({
        index,
        files,
        output,
        code,
        seconds: (performance.now() - started) / 1000,
        passed: count('pass'),
        failed: count('fail'),
      });
    });
  });
}

async function main(): Promise<number> {
  const [dir = 'test', suffix = '.test.ts'] = process.argv.slice(2);
  const files = await testFiles(path.resolve(ROOT, dir), suffix);
  if (files.length === 0) {
    console.log(`no ${suffix} files under ${dir}\n# tests 0\n# pass  0\n# fail  1`);
    return 1;
  }

  // One server for every shard: the configured one, or an embedded one started here (a shard
  // starting its own would cost each an initdb).
  let embedded: EmbeddedPostgres | undefined;
  let scratch: string | undefined;
  const env = { ...process.env };
  // The unit tier needs no server at all (a test there that asks for one fails, naming the tier).
  const unitTier = env.VT_UNIT_TIER === '1';
  if (!unitTier && !env.TEST_DATABASE_URL) {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'vt-test-pg-'));
    embedded = await useEmbeddedPostgres({
      dir: path.join(scratch, 'data'),
      port: 0,
      logger: createLogger('silent'),
      settings: TEST_SERVER_SETTINGS,
    });
    env.TEST_DATABASE_URL = embedded.url('postgres');
  }
  try {
    const wanted = Number(process.env.TEST_SHARDS ?? DEFAULT_SHARDS);
    const free =
      unitTier || env.TEST_DATABASE_URL === undefined ? undefined : await freeConnections(env.TEST_DATABASE_URL);
    const byConnections = free === undefined ? wanted : Math.max(1, Math.floor(free / CONNECTIONS_PER_SHARD));
    const shards = Math.max(1, Math.min(wanted, byConnections, files.length));
    const timings = await readTimings();
    const groups = assign(files, shards, timings.known);
    const why = byConnections < wanted ? ` (the server has room for ${byConnections}: ${free} free connections)` : '';
    console.error(`# ${files.length} files in ${groups.length} shard${groups.length === 1 ? '' : 's'}${why}`);

    const outDir = await mkdtemp(path.join(os.tmpdir(), 'vt-test-timings-'));
    const started = performance.now();
    const results = await Promise.all(
      groups.map(async (group, index) => {
        const result = await runShard(index + 1, group, env, path.join(outDir, `${index + 1}.json`));
        console.error(
          `# shard ${index + 1}/${groups.length}: ${group.length} files, ${result.passed} passed, ${result.failed} failed, ${Math.round(result.seconds)} s`,
        );
        return result;
      }),
    );
    await saveTimings(timings.measured, outDir, groups.length);
    await rm(outDir, { recursive: true, force: true });

    for (const result of results)
      process.stdout.write(`# shard ${result.index}: ${result.files.join(' ')}\n${result.output}\n`);
    const passed = results.reduce((sum, result) => sum + result.passed, 0);
    let failed = results.reduce((sum, result) => sum + result.failed, 0);
    for (const result of results.filter((result) => result.code !== 0 && result.failed === 0)) {
      console.log(
        `# shard ${result.index} ended with code ${result.code} without a failed assertion (a file did not load, or the run hung)`,
      );
      failed += 1;
    }
    const failures = results.flatMap((result) => result.output.split('\n').filter((line) => line.startsWith('not ok')));
    if (failures.length > 0) console.log(`\n# failed:\n${failures.map((line) => `#   ${line}`).join('\n')}`);
    console.log(`\n# ${groups.length} shards in ${Math.round((performance.now() - started) / 1000)} s`);
    console.log(`1..${passed + failed}\n# tests ${passed + failed}\n# pass  ${passed}\n# fail  ${failed}\n`);
    return failed === 0 ? 0 : 1;
  } finally {
    await embedded?.release();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** This run's seconds per file over the last ones; files that did not run keep theirs. */
async function saveTimings(previous: Record<string, number>, outDir: string, shards: number): Promise<void> {
  const merged = { ...previous };
  for (let index = 1; index <= shards; index += 1) {
    try {
      Object.assign(
        merged,
        JSON.parse(await readFile(path.join(outDir, `${index}.json`), 'utf8')) as Record<string, number>,
      );
    } catch {
      // A shard that died before its exit hook: its files keep their old figures.
    }
  }
  await mkdir(path.dirname(TIMINGS_CACHE), { recursive: true });
  await writeFile(TIMINGS_CACHE, JSON.stringify(merged, null, 1));
}

// Ended from outside (Ctrl-C, CI's timeout): the shards end with us.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(130);
  });
}

process.exitCode = await main();
