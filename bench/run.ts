// npm run bench: rough speed figures for this machine, on throwaway databases.
// BENCH_DATABASE_URL names a server (any database on it) where the role may create databases;
// unset, an embedded PostgreSQL in a temporary directory is used. Nothing here asserts a time.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHomePageAggregator } from '../src/aggregators/home-page/index.ts';
import { createAppDatabase, migrateAppDatabase } from '../src/db/app-database.ts';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database.ts';
import { installMessageDb } from '../src/db/install-message-db.ts';
import { createLogger } from '../src/logger.ts';
import { createMessageStore, createMessageStorePool } from '../src/message-store/index.ts';

const logger = createLogger('silent');
const CATCH_UP_EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const WRITES = Number(process.env.BENCH_WRITES ?? 2_000);
const LATENCY_SAMPLES = 200;
const BATCH_SIZE = Number(process.env.BENCH_BATCH ?? 100);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

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
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 4 });
  const store = createMessageStore({ pool, url: urls.messageStoreUrl, logger });
  const results: Record<string, string> = {
    server: embedded ? 'embedded PostgreSQL 16' : 'BENCH_DATABASE_URL',
  };
  try {
    // 1. Single-client writes through the message store (one statement, one commit each).
    let start = performance.now();
    for (let n = 0; n < WRITES; n += 1) {
      await store.write(`benchWrite-${randomUUID()}`, { id: randomUUID(), type: 'Tick', data: { n }, metadata: {} });
    }
    let seconds = (performance.now() - start) / 1000;
    results['writes, 1 client'] = `${Math.round(WRITES / seconds)} messages/s (${WRITES} writes)`;

    // 2. Catch-up: the home-page aggregator applying a backlog in batches of 100.
    await pool.query(
      `SELECT write_message(gen_random_uuid()::text, 'viewing-' || v, 'VideoViewed',
                            jsonb_build_object('videoId', v, 'userId', NULL), '{}'::jsonb)
         FROM (SELECT gen_random_uuid()::text AS v FROM generate_series(1, $1)) s`,
      [CATCH_UP_EVENTS],
    );
    const aggregator = createHomePageAggregator({ db, messageStore: store, logger, subscription: { batchSize: BATCH_SIZE } });
    const heapBefore = process.memoryUsage().heapUsed;
    start = performance.now();
    while ((await aggregator.subscription.tick()) > 0);
    seconds = (performance.now() - start) / 1000;
    results['aggregator catch-up'] = `${Math.round(CATCH_UP_EVENTS / seconds)} events/s (${CATCH_UP_EVENTS} events, batch ${BATCH_SIZE})`;
    results['heap growth during catch-up'] = `${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB`;

    // 3. Write-to-projection latency with the subscriber idle and a 60 s poll: notify does the work.
    const live = createHomePageAggregator({ db, messageStore: store, logger, subscription: { pollIntervalMs: 60_000 } });
    live.subscription.start();
    const latencies: number[] = [];
    for (let n = 0; n < LATENCY_SAMPLES; n += 1) {
      const before = live.subscription.status().handled;
      const videoId = randomUUID();
      const t0 = performance.now();
      await store.write(`viewing-${videoId}`, { id: randomUUID(), type: 'VideoViewed', data: { videoId, userId: null }, metadata: {} });
      while (live.subscription.status().handled === before) await new Promise((resolve) => setImmediate(resolve));
      latencies.push(performance.now() - t0);
    }
    await live.subscription.stop();
    latencies.sort((a, b) => a - b);
    results['write → projection latency'] =
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms (${LATENCY_SAMPLES} samples)`;
    results['process RSS at end'] = `${Math.round(process.memoryUsage().rss / 1e6)} MB`;
  } finally {
    await store.close();
    await pool.end();
    await db.destroy();
    await dropDatabase(urls.messageStoreUrl);
    await dropDatabase(urls.databaseUrl);
    await embedded?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(30)} ${value}`);
}

await main();
