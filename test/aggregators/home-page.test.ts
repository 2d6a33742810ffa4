import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import test from 'tape';
import { createHomePageAggregator, HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { videosWatched, writeViewings } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';

test('home-page aggregator: the same VideoViewed applied twice counts once', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = createAppDatabase(urls.databaseUrl, 2);
  try {
    const videoId = randomUUID();
    await store.write(`viewing-${videoId}`, { id: randomUUID(), type: 'VideoViewed', data: { videoId, userId: null }, metadata: {} });
    const [event] = await store.readStream(`viewing-${videoId}`);
    const { handle } = createHomePageAggregator({ db, messageStore: store, logger: silentLogger });
    await db.transaction((trx) => handle(event!, trx));
    await db.transaction((trx) => handle(event!, trx));
    t.equal(await videosWatched(db), 1, 'counted once');
  } finally {
    await db.destroy();
    await close();
  }
});

test('home-page aggregator: replaying the whole category from the start leaves the count unchanged', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = createAppDatabase(urls.databaseUrl, 2);
  const pool = createMessageStorePool(urls.messageStoreUrl, 1);
  try {
    await writeViewings(pool, 40);
    const first = createHomePageAggregator({ db, messageStore: store, logger: silentLogger });
    while ((await first.subscription.tick()) > 0);
    t.equal(await videosWatched(db), 40);
    await db('subscriber_positions').where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID }).del();
    const replay = createHomePageAggregator({ db, messageStore: store, logger: silentLogger });
    while ((await replay.subscription.tick()) > 0);
    t.equal(replay.subscription.status().position, first.subscription.status().position, 'replayed to the same position');
    t.equal(await videosWatched(db), 40, 'still 40');
  } finally {
    await pool.end();
    await db.destroy();
    await close();
  }
});

function startAggregatorProcess(urls: { databaseUrl: string; messageStoreUrl: string }): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/run-home-page-aggregator.ts'], {
    env: { ...process.env, DATABASE_URL: urls.databaseUrl, MESSAGE_STORE_URL: urls.messageStoreUrl, BATCH_SIZE: '5' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

test('home-page aggregator: killed (SIGKILL) during catch-up, then restarted, ends with the exact count', async (t) => {
  const urls = await freshDatabases();
  const db = createAppDatabase(urls.databaseUrl, 2);
  const pool = createMessageStorePool(urls.messageStoreUrl, 1);
  const total = 3000;
  try {
    await writeViewings(pool, total);
    const first = startAggregatorProcess(urls);
    await waitUntil('the aggregator to be part-way through', async () => (await videosWatched(db)) >= 200, { intervalMs: 5 });
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = await videosWatched(db);
    t.ok(atKill > 0 && atKill < total, `killed mid catch-up (${atKill} of ${total} counted)`);

    const second = startAggregatorProcess(urls);
    try {
      const last = await pool.query<{ max: string }>(`SELECT max(global_position) FROM messages`);
      const lastPosition = Number(last.rows[0]?.max);
      await waitUntil(
        'the restarted aggregator to catch up',
        async () => {
          const row = await db('subscriber_positions').where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID }).first<{ position: string }>('position');
          return Number(row?.position) === lastPosition;
        },
        { timeoutMs: 60_000 },
      );
      t.equal(await videosWatched(db), total, 'every viewing counted exactly once');
    } finally {
      second.kill('SIGTERM');
      await once(second, 'exit');
    }
  } finally {
    await pool.end();
    await db.destroy();
  }
});
