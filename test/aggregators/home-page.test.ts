import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { liveSubscription, projectionOf } from '../../src/aggregators/definition.ts';
import { homePageDefinition, HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { videosWatched, writeViewings } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest('home-page aggregator: the same VideoViewed delivered twice counts once', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const videoId = randomUUID();
  await store.write(`viewing-${videoId}`, {
    id: randomUUID(),
    type: 'VideoViewed',
    data: { videoId, userId: null },
    metadata: {},
  });
  const batch = await store.readStream(`viewing-${videoId}`);
  const projection = projectionOf(homePageDefinition, HOME_PAGE_SUBSCRIBER_ID);
  // Two deliveries from position 0, as after a crash that lost the in-memory position.
  for (let delivery = 0; delivery < 2; delivery += 1) {
    const processor = createAggregatorProcessor({ db, subscriberId: HOME_PAGE_SUBSCRIBER_ID, projection });
    await processor.process(batch, 0, processorContext());
  }
  t.equal(await videosWatched(db), 1, 'counted once');
});

scopedTest(
  'home-page aggregator: a VideoViewed another program wrote with a bad video id is skipped, not a stall',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeViewings(pool, 3);
    await pool.query(
      `SELECT write_message(gen_random_uuid()::text, 'viewing-legacy-42', 'VideoViewed', '{"videoId":"legacy-42","userId":null}')`,
    );
    await writeViewings(pool, 2);
    for (let start = 0; start < 2; start += 1) {
      // Restarting must not stall on it either.
      const subscription = liveSubscription(homePageDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        subscription: { pollIntervalMs: 50 },
      });
      scope.running(subscription).start();
      await waitUntil('the aggregator to catch up', () => subscription.status().caughtUp);
      t.equal(subscription.status().state, 'running', `running after start ${start + 1}`);
      await subscription.stop();
    }
    t.equal(await videosWatched(db), 5, 'the five valid viewings counted');
    const skipped = await db('skipped_messages')
      .where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID })
      .select('stream_name', 'reason');
    t.deepEqual(
      skipped.map((row: { stream_name: string }) => row.stream_name),
      ['viewing-legacy-42'],
      'the bad one is on record',
    );
    t.match(skipped[0]?.reason ?? '', /videoId/, 'with the field at fault');
  },
);

scopedTest(
  'home-page aggregator: a rebuild (projection cleared and position reset together) ends at the same count',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeViewings(pool, 40);
    const first = liveSubscription(homePageDefinition, { db, messageStore: store, logger: silentLogger });
    await drain(scope.running(first));
    t.equal(await videosWatched(db), 40);
    await db.transaction(async (trx) => {
      await trx('home_page').update({ videos_watched: 0 });
      await trx('subscriber_positions').where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID }).del();
    });
    const replay = liveSubscription(homePageDefinition, { db, messageStore: store, logger: silentLogger });
    await drain(scope.running(replay));
    t.equal(replay.status().position, first.status().position, 'replayed to the same position');
    t.equal(await videosWatched(db), 40, 'still 40');
  },
);

scopedTest(
  'home-page aggregator: two members of a consumer group count every viewing exactly once',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const members = [0, 1].map((member) =>
      liveSubscription(homePageDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        consumerGroup: { member, size: 2 },
        subscription: { batchSize: 3 },
      }),
    );
    for (const member of members) scope.running(member);
    for (let round = 0; round < 4; round += 1) {
      await writeViewings(pool, 10);
      // Member 1 reads after member 0 has gone ahead: a shared guard would drop its viewings.
      await drain(members[0]!);
      await members[1]!.tick();
    }
    for (const member of members) await drain(member);
    t.equal(await videosWatched(db), 40, 'all 40 counted');
    const positions = await db('subscriber_positions')
      .where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID })
      .orderBy('group_member')
      .select('group_member', 'group_size');
    t.deepEqual(
      positions,
      [
        { group_member: 0, group_size: 2 },
        { group_member: 1, group_size: 2 },
      ],
      'one position per member',
    );
  },
);

function startAggregatorProcess(urls: { databaseUrl: string; messageStoreUrl: string }): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/run-home-page-aggregator.ts'], {
    env: { ...process.env, DATABASE_URL: urls.databaseUrl, MESSAGE_STORE_URL: urls.messageStoreUrl, BATCH_SIZE: '5' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

scopedTest(
  'home-page aggregator: killed (SIGKILL) during catch-up, then restarted, ends with the exact count',
  async (t, scope) => {
    const total = 3000;
    const urls = await freshDatabases();
    const { pool } = await openTestStore(scope, urls, { max: 1 });
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeViewings(pool, total);
    const first = scope.add(startAggregatorProcess(urls), (child) => kill(child, 'SIGKILL'));
    await waitUntil('the aggregator to be part-way through', async () => (await videosWatched(db)) >= 200, {
      intervalMs: 5,
    });
    await kill(first, 'SIGKILL');
    const atKill = await videosWatched(db);
    t.ok(atKill > 0 && atKill < total, `killed mid catch-up (${atKill} of ${total} counted)`);

    const second = scope.add(startAggregatorProcess(urls), (child) => kill(child, 'SIGTERM'));
    const last = await pool.query<{ max: string }>(`SELECT max(global_position) FROM messages`);
    const lastPosition = Number(last.rows[0]?.max);
    await waitUntil(
      'the restarted aggregator to catch up',
      async () => {
        const row = await db('subscriber_positions')
          .where({ subscriber_id: HOME_PAGE_SUBSCRIBER_ID })
          .first<{ position: string }>('position');
        return Number(row?.position) === lastPosition;
      },
      { timeoutMs: 60_000 },
    );
    t.equal(await videosWatched(db), total, 'every viewing counted exactly once');
    await kill(second, 'SIGTERM');
  },
);

scopedTest(
  'home-page aggregator: changing the group size hands positions over: nothing counted twice, nothing missed',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const group = (size: number, batchSize = 100) =>
      Array.from({ length: size }, (_, member) =>
        scope.running(
          liveSubscription(homePageDefinition, {
            db,
            messageStore: store,
            logger: silentLogger,
            consumerGroup: { member, size },
            subscription: { batchSize },
          }),
        ),
      );
    await writeViewings(pool, 30);
    await drain(scope.running(liveSubscription(homePageDefinition, { db, messageStore: store, logger: silentLogger })));
    t.equal(await videosWatched(db), 30, 'one aggregator alone');

    await writeViewings(pool, 30);
    const two = group(2, 4);
    await drain(two[0]!);
    await two[1]!.tick(); // member 1 of 2 stops part-way: its streams after that are not counted yet
    t.ok((await videosWatched(db)) < 60, 'a group of two, one member behind');

    await writeViewings(pool, 30);
    const three = group(3);
    for (const member of three) await drain(member);
    t.equal(await videosWatched(db), 90, 'a group of three takes over: every viewing counted exactly once');
    const afterwards = await db('subscriber_positions')
      .where({ group_size: 3 })
      .whereNotNull('handover')
      .count<{ count: string }>('* as count')
      .first();
    t.equal(Number(afterwards?.count), 0, 'and the handed-over positions are dropped once passed');
  },
);
