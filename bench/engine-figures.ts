// The engine's figures, measured in this process through our own modules: writes, concurrent
// writers, the home-page aggregator's catch-up (by tick) and write → projection lag.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { liveSubscription } from '../src/aggregators/definition.ts';
import { homePageDefinition } from '../src/aggregators/home-page/index.ts';
import type { DatabaseUrls } from '../src/config/env.ts';
import { createAppDatabase, migrateAppDatabase } from '../src/db/app-database.ts';
import type { Logger } from '../src/logger.ts';
import { messageVersions } from '../src/contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../src/message-store/index.ts';
import { concurrentWrites, type WriteMode } from './concurrent-writes.ts';
import { formatPercentiles, percentiles, throughSql, throughStore, writeToProjectionLag } from './lag.ts';
import { sealedFieldFigures } from './personal-data.ts';

export interface EngineSizes {
  readonly catchUpEvents: number;
  readonly bigCatchUpEvents: number;
  readonly writes: number;
  readonly batchSize: number;
  readonly writesEach: number;
  readonly rounds: number;
  readonly lagSamples: number;
}

const WRITERS = 8;

export async function engineFigures(
  urls: DatabaseUrls,
  logger: Logger,
  sizes: EngineSizes,
  results: Record<string, string>,
): Promise<void> {
  const { catchUpEvents, bigCatchUpEvents, writes, batchSize, writesEach, rounds, lagSamples } = sizes;
  const db = createAppDatabase(urls.databaseUrl, { poolMax: 4 });
  await migrateAppDatabase(db);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: WRITERS });
  const store = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  // Another process's store: its own pool and session connection.
  const otherPool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const otherProcess = createMessageStore({
    pool: otherPool,
    url: urls.messageStoreUrl,
    logger,
    versions: messageVersions,
  });
  try {
    // 0. What a sealed personal field costs to write and to read back.
    await sealedFieldFigures(db, results);

    // 1. Single-client writes through the message store (one statement, one commit each).
    const start = performance.now();
    for (let n = 0; n < writes; n += 1) {
      await store.write(`benchWrite-${randomUUID()}`, { id: randomUUID(), type: 'Tick', data: { n }, metadata: {} });
    }
    results['writes, 1 client'] =
      `${Math.round(writes / ((performance.now() - start) / 1000))} messages/s (${writes} writes)`;

    // 2. Eight writers to eight categories at once, each way of writing in turn, interleaved; first
    //    with no other process listening (nothing to notify), then with one that listens.
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
    const phase = async (label: string, modes: WriteMode[]) => {
      const rates = new Map<WriteMode, number[]>(modes.map((mode) => [mode, []]));
      for (let round = 0; round < rounds; round += 1) {
        for (const mode of modes)
          rates.get(mode)!.push(await concurrentWrites(mode, { pool, store, writers: WRITERS, writesEach }));
      }
      const plain = median(rates.get('plain write_message')!);
      for (const mode of modes) {
        const rate = median(rates.get(mode)!);
        results[`${WRITERS} writers, ${label}: ${mode}`] =
          `${Math.round(rate)}/s (median of ${rounds}: ${rates.get(mode)!.map(Math.round).join(', ')}; ${((rate / plain) * 100).toFixed(0)}% of plain)`;
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
      await phase('another process listening', [
        'plain write_message',
        'message store with wake-ups',
        'write_message + pg_notify in the statement',
      ]);
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
      const subscription = liveSubscription(homePageDefinition, {
        db,
        messageStore: store,
        logger,
        subscription: { batchSize },
      });
      const heapBefore = process.memoryUsage().heapUsed;
      const began = performance.now();
      while ((await subscription.tick()) > 0);
      return {
        rate: events / ((performance.now() - began) / 1000),
        heapGrowthMB: (process.memoryUsage().heapUsed - heapBefore) / 1e6,
      };
    };
    const backlog = await catchUp(catchUpEvents);
    results['aggregator catch-up'] =
      `${Math.round(backlog.rate)} events/s (${catchUpEvents} events, batch ${batchSize})`;
    results['heap growth during catch-up'] = `${backlog.heapGrowthMB.toFixed(1)} MB`;
    const longBacklog = await catchUp(bigCatchUpEvents);
    results['aggregator catch-up, long backlog'] =
      `${Math.round(longBacklog.rate)} events/s (${bigCatchUpEvents} events, batch ${batchSize})`;

    // 4. Write → projection, idle subscriber polling once a minute: the wake-up does the work.
    const live = liveSubscription(homePageDefinition, {
      db,
      messageStore: store,
      logger,
      subscription: { pollIntervalMs: 60_000 },
    });
    live.start();
    try {
      while (live.status().state !== 'running' || !live.status().caughtUp)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const sameProcess = await writeToProjectionLag(throughStore(store), live, lagSamples);
      results['write → projection, same process'] = formatPercentiles(percentiles(sameProcess), lagSamples);
      const otherWriter = await writeToProjectionLag(throughStore(otherProcess), live, lagSamples);
      results['write → projection, other app process'] = formatPercentiles(percentiles(otherWriter), lagSamples);
      // Another program: a plain connection, knowing nothing of our wake-ups (the trigger speaks for it).
      const program = new pg.Pool({
        connectionString: urls.messageStoreUrl,
        options: '-c search_path=message_store,public',
        max: 1,
      });
      const foreign = await writeToProjectionLag(throughSql(program), live, lagSamples).finally(() => program.end());
      results['write → projection, other program (plain SQL)'] = formatPercentiles(percentiles(foreign), lagSamples);
    } finally {
      await live.stop();
    }
  } finally {
    await otherProcess.close();
    await otherPool.end();
    await store.close();
    await pool.end();
    await db.destroy();
  }
}
