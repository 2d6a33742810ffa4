// npm run bench: speed figures for this machine, on throwaway databases.
// BENCH_DATABASE_URL names a server (any database on it) where the role may create databases;
// unset, an embedded PostgreSQL in a temporary directory is used. Nothing here asserts a time.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createHomePageAggregator } from '../src/aggregators/home-page/index.ts';
import { createAppDatabase, migrateAppDatabase } from '../src/db/app-database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database.ts';
import { installMessageDb } from '../src/db/install-message-db.ts';
import { createLogger } from '../src/logger.ts';
import { createMessageStore, createMessageStorePool } from '../src/message-store/index.ts';
import { buildApp, cpuShare, rssMiB, startApp } from './app-process.ts';
import { concurrentWrites, type WriteMode } from './concurrent-writes.ts';
import { formatLoad, loadGet } from './http-load.ts';
import { formatPostLoad, postLoad } from './post-load.ts';
import { formatSoak, soak } from './soak.ts';
import { formatPercentiles, percentiles, throughSql, throughStore, writeToProjectionLag } from './lag.ts';

const logger = createLogger('silent');
const CATCH_UP_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const WRITES = Number(process.env.BENCH_WRITES ?? 2_000);
const BATCH_SIZE = Number(process.env.BENCH_BATCH ?? 100);
const BIG_CATCH_UP_EVENTS = Number(process.env.BENCH_BIG_EVENTS ?? 200_000);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 300);
const WRITERS = 8;
const WRITES_PER_WRITER = Number(process.env.BENCH_CONCURRENT_WRITES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAG_SAMPLES = Number(process.env.BENCH_LAG_SAMPLES ?? 500);
const IDLE_SAMPLE_MS = 20_000;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 10);

async function main(): Promise<void> {
  const configured = process.env.BENCH_DATABASE_URL;
  const tmp = configured ? undefined : await mkdtemp(path.join(os.tmpdir(), 'vt-bench-'));
  const embedded = tmp ? await startEmbeddedPostgres({ dir: path.join(tmp, 'data'), port: 0, logger }) : undefined;
  const url = (name: string) => {
    if (embedded) return embedded.url(name);
    const u = new URL(configured!);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const suffix = randomUUID().slice(0, 8);
  const urls = { messageStoreUrl: url(`vt_bench_${suffix}_ms`), databaseUrl: url(`vt_bench_${suffix}_app`) };
  await ensureDatabase(urls.messageStoreUrl, logger);
  await ensureDatabase(urls.databaseUrl, logger);
  await installMessageDb(urls.messageStoreUrl, logger);
  const db = createAppDatabase(urls.databaseUrl, { poolMax: 4 });
  await migrateAppDatabase(db);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: WRITERS });
  const store = createMessageStore({ pool, url: urls.messageStoreUrl, logger });
  // Another process's store: its own pool and session connection.
  const otherPool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const otherProcess = createMessageStore({ pool: otherPool, url: urls.messageStoreUrl, logger });
  const results: Record<string, string> = { server: embedded ? 'embedded PostgreSQL 16' : 'BENCH_DATABASE_URL' };
  try {
    // 1. Single-client writes through the message store (one statement, one commit each).
    const start = performance.now();
    for (let n = 0; n < WRITES; n += 1) {
      await store.write(`benchWrite-${randomUUID()}`, { id: randomUUID(), type: 'Tick', data: { n }, metadata: {} });
    }
    results['writes, 1 client'] = `${Math.round(WRITES / ((performance.now() - start) / 1000))} messages/s (${WRITES} writes)`;

    // 2. Eight writers to eight categories at once, each way of writing in turn, interleaved; first
    //    with no other process listening (nothing to notify), then with one that listens.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const phase = async (label: string, modes: WriteMode[]) => {
      const rates = new Map<WriteMode, number[]>(modes.map((mode) => [mode, []]));
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const mode of modes) rates.get(mode)!.push(await concurrentWrites(mode, { pool, store, writers: WRITERS, writesEach: WRITES_PER_WRITER }));
      }
      const plain = median(rates.get('plain write_message')!);
      for (const mode of modes) {
        const rate = median(rates.get(mode)!);
        results[`${WRITERS} writers, ${label}: ${mode}`] =
          `${Math.round(rate)}/s (median of ${ROUNDS}: ${rates.get(mode)!.map(Math.round).join(', ')}; ${((rate / plain) * 100).toFixed(0)}% of plain)`;
      }
    };
    await phase('alone', ['plain write_message', 'message store, no wake-ups', 'message store with wake-ups']);
    const listener = spawn(process.execPath, ['--import', 'tsx', 'bench/listening-process.ts'], {
      env: { ...process.env, MESSAGE_STORE_URL: urls.messageStoreUrl },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout!.once('data', () => resolve());
        listener.once('exit', (code) => reject(new Error(`the listening process exited (${code})`)));
      });
      // Our writers learn of the listener within a second (how long a writer trusts its last look).
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await phase('another process listening', ['plain write_message', 'message store with wake-ups', 'write_message + pg_notify in the statement']);
    } finally {
      listener.stdin!.end();
      await once(listener, 'exit');
    }

    // 3. Catch-up: the home-page aggregator applying a backlog of 20,000, then of 200,000.
    const catchUp = async (events: number): Promise<{ rate: number; heapGrowthMB: number }> => {
      await pool.query(
        `SELECT write_message(gen_random_uuid()::text, 'viewing-' || v, 'VideoViewed',
                              jsonb_build_object('videoId', v, 'userId', NULL), '{}'::jsonb)
           FROM (SELECT gen_random_uuid()::text AS v FROM generate_series(1, $1)) s`,
        [events],
      );
      const aggregator = createHomePageAggregator({ db, messageStore: store, logger, subscription: { batchSize: BATCH_SIZE } });
      const heapBefore = process.memoryUsage().heapUsed;
      const began = performance.now();
      while ((await aggregator.subscription.tick()) > 0);
      return { rate: events / ((performance.now() - began) / 1000), heapGrowthMB: (process.memoryUsage().heapUsed - heapBefore) / 1e6 };
    };
    const backlog = await catchUp(CATCH_UP_EVENTS);
    results['aggregator catch-up'] = `${Math.round(backlog.rate)} events/s (${CATCH_UP_EVENTS} events, batch ${BATCH_SIZE})`;
    results['heap growth during catch-up'] = `${backlog.heapGrowthMB.toFixed(1)} MB`;
    const longBacklog = await catchUp(BIG_CATCH_UP_EVENTS);
    results['aggregator catch-up, long backlog'] = `${Math.round(longBacklog.rate)} events/s (${BIG_CATCH_UP_EVENTS} events, batch ${BATCH_SIZE})`;

    // 4. Write → projection, idle subscriber polling once a minute: the wake-up does the work.
    const live = createHomePageAggregator({ db, messageStore: store, logger, subscription: { pollIntervalMs: 60_000 } });
    live.subscription.start();
    try {
      while (live.subscription.status().state !== 'running' || !live.subscription.status().caughtUp) await new Promise((resolve) => setTimeout(resolve, 5));
      const sameProcess = await writeToProjectionLag(throughStore(store), live.subscription, LAG_SAMPLES);
      results['write → projection, same process'] = formatPercentiles(percentiles(sameProcess), LAG_SAMPLES);
      const otherWriter = await writeToProjectionLag(throughStore(otherProcess), live.subscription, LAG_SAMPLES);
      results['write → projection, other app process'] = formatPercentiles(percentiles(otherWriter), LAG_SAMPLES);
      // Another program: a plain connection, knowing nothing of our wake-ups (the trigger speaks for it).
      const program = new pg.Pool({ connectionString: urls.messageStoreUrl, options: '-c search_path=message_store,public', max: 1 });
      const foreign = await writeToProjectionLag(throughSql(program), live.subscription, LAG_SAMPLES).finally(() => program.end());
      results['write → projection, other program (plain SQL)'] = formatPercentiles(percentiles(foreign), LAG_SAMPLES);
    } finally {
      await live.subscription.stop();
    }
    // 5. The real app, compiled as production runs it: idle, then GET / under load, with the
    //    page's projection read cached (the default) and read on every request; and idle
    //    through tsx, as npm start runs it.
    buildApp();
    const app = await startApp(urls);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // past start-up work
      const share = await cpuShare(app.child.pid!, IDLE_SAMPLE_MS);
      results['app (compiled) idle: CPU'] = `${(share * 100).toFixed(2)} % of one core (over ${IDLE_SAMPLE_MS / 1000} s)`;
      results['app (compiled) idle: RSS'] = `${Math.round(await rssMiB(app.child.pid!))} MiB`;
      for (const connections of [10, 50]) {
        results[`GET /, ${connections} connections`] = formatLoad(await loadGet(`${app.url}/`, app.child.pid!, connections, LOAD_SECONDS));
      }
      results['POST record-viewing, 10 connections'] = formatPostLoad(await postLoad(app.url, pool, db, 10, LOAD_SECONDS));
      results['app RSS after load'] = `${Math.round(await rssMiB(app.child.pid!))} MiB`;
      if (SOAK_SECONDS > 0) results[`soak, ${SOAK_SECONDS} s of GET + POST`] = formatSoak(await soak(app.url, app.child.pid!, SOAK_SECONDS));
    } finally {
      await app.stop();
    }
    const uncached = await startApp(urls, { env: { PAGE_CACHE_MS: '0' } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      results['GET /, 10 connections, no page cache'] = formatLoad(await loadGet(`${uncached.url}/`, uncached.child.pid!, 10, LOAD_SECONDS));
    } finally {
      await uncached.stop();
    }
    const throughTsx = await startApp(urls, { compiled: false });
    try {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      results['npm start (tsx) idle: CPU'] = `${((await cpuShare(throughTsx.child.pid!, IDLE_SAMPLE_MS)) * 100).toFixed(2)} % of one core`;
      results['npm start (tsx) idle: RSS'] = `${Math.round(await rssMiB(throughTsx.child.pid!))} MiB`;
    } finally {
      await throughTsx.stop();
    }
    results['bench process RSS at end'] = `${Math.round(process.memoryUsage().rss / 1e6)} MB`;
  } finally {
    await otherProcess.close();
    await otherPool.end();
    await store.close();
    await pool.end();
    await db.destroy();
    await dropDatabase(urls.messageStoreUrl);
    await dropDatabase(urls.databaseUrl);
    await embedded?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(58)} ${value}`);
  // The same figures for machines: BENCH_JSON names the file (default bench-results.json, not committed).
  const file = process.env.BENCH_JSON ?? 'bench-results.json';
  const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
  await writeFile(file, `${JSON.stringify({ at: new Date().toISOString(), machine, results }, null, 2)}\n`);
  console.log(`written to ${file}`);
}

await main();
