import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { liveSubscription, liveSubscriptions, type ProjectionDefinition } from '../../src/aggregators/definition.ts';
import { PROJECTIONS } from '../../src/aggregators/projections.ts';
import { ADMIN_STREAMS_SUBSCRIBER_ID, adminStreamsDefinition } from '../../src/aggregators/admin-streams/index.ts';
import { ADMIN_USERS_SUBSCRIBER_IDS } from '../../src/aggregators/admin-users/index.ts';
import { HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { POPULAR_VIDEOS_SUBSCRIBER_ID } from '../../src/aggregators/popular-videos/index.ts';
import { VIDEOS_SUBSCRIBER_IDS } from '../../src/aggregators/videos/index.ts';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import {
  pickProjections,
  rebuildableProjections,
  readProgress,
  runRebuild,
  type Requester,
} from '../../src/rebuild/index.ts';
import type { Subscription } from '../../src/subscription/subscription.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { view, writeHistory } from './history.ts';
import { contentsOf, indexesOf, positionsOf } from './tables.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { writePlaybackHistory } from './playback-history.ts';

/** Every projection's live subscribers but admin-streams' (it also counts the admin actions a rebuild writes). */
function liveSubscribers(db: Knex, messageStore: MessageStore): Subscription[] {
  const deps = { db, messageStore, logger: silentLogger, subscription: { retry: FAST_RETRY, batchSize: 5 } };
  return PROJECTIONS.filter((definition) => definition.name !== 'admin-streams').flatMap(
    (definition: ProjectionDefinition) => liveSubscriptions(definition, deps),
  );
}

async function tablesOf(db: Knex, tables: readonly string[]): Promise<Record<string, unknown[]>> {
  return Object.fromEntries(
    await Promise.all(tables.map(async (table) => [table, await contentsOf(db, table)] as const)),
  );
}

async function catchUp(subscriptions: readonly Subscription[]): Promise<void> {
  for (const subscription of subscriptions) await drain(subscription);
}

async function categoryHead(pool: pg.Pool, category: string): Promise<number> {
  const result = await pool.query<{ head: string | null }>(
    'SELECT max(global_position) AS head FROM messages WHERE category(stream_name) = $1',
    [category],
  );
  return Number(result.rows[0]?.head ?? 0);
}

const requester = (): Requester => {
  const adminId = randomUUID();
  return { adminId, userId: adminId, label: `admin:${adminId}`, traceId: randomUUID() };
};

scopedTest(
  'rebuild: each projection rebuilt from the log equals the live one, with its indexes, and its subscribers go on from there',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const history = await writeHistory(store, pool);
    await writePlaybackHistory(
      store,
      createPersonalData(db),
      history.videos.map((video) => video.videoId),
    );
    const live = liveSubscribers(db, store);
    await catchUp(live);
    const everyProjection = rebuildableProjections();
    t.deepEqual(
      everyProjection.map((projection) => projection.name),
      [
        'home-page',
        'user-credentials',
        'videos',
        'creators-videos',
        'video-operations',
        'admin-users',
        'admin-streams',
        'user-profiles',
        'playback',
        'video-search',
        'popular-videos',
      ],
      'the eleven projections are rebuildable',
    );
    // admin-streams also counts the admin actions each rebuild writes: compared in its own test.
    const projections = everyProjection.filter((projection) => projection.name !== 'admin-streams');
    const who = requester();

    for (const projection of projections) {
      const before = await tablesOf(db, projection.tables);
      const indexes = await Promise.all(projection.tables.map((table) => indexesOf(db, table)));
      for (const [table, rows] of Object.entries(before))
        t.ok(rows.length > 0, `${projection.name}: the history fills ${table}`);
      const reports: string[] = [];
      const result = await runRebuild({
        db,
        messageStore: store,
        messageStorePool: pool,
        logger: silentLogger,
        projection,
        requester: who,
        batchSize: 4,
        onProgress: (report) => void reports.push(report.phase),
      });
      t.deepEqual(
        await tablesOf(db, projection.tables),
        before,
        `${projection.name}: the rebuilt ${projection.tables.join(', ')} equal the live ones`,
      );
      t.deepEqual(
        await Promise.all(projection.tables.map((table) => indexesOf(db, table))),
        indexes,
        `${projection.name}: with the same indexes, under the same names`,
      );
      const analysed = await db('pg_stat_user_tables')
        .whereIn('relname', projection.tables)
        .whereNotNull('last_analyze')
        .pluck('relname');
      t.deepEqual(
        [...analysed].sort(),
        [...projection.tables].sort(),
        `${projection.name}: analysed before the swap, so the planner knows the new tables at once`,
      );
      t.deepEqual(
        [...new Set(reports)],
        ['preparing', 'building', 'catching up', 'swapping'],
        `${projection.name}: progress through each phase`,
      );
      const heads = Object.fromEntries(
        await Promise.all(
          projection.parts.map(async (part) => [part.subscriberId, await categoryHead(pool, part.category)] as const),
        ),
      );
      t.deepEqual(
        await positionsOf(db, Object.keys(heads)),
        heads,
        `${projection.name}: each subscriber goes on from its category's last message`,
      );
      t.deepEqual(result.positions, heads, 'as the result says');
      t.ok(result.messages > 0, `${projection.name}: read ${result.messages} messages`);
    }
    const [progress] = await readProgress(db, ['videos']);
    t.equal(progress?.state, 'done', 'the progress row says done');
    t.equal(progress?.phase, 'finished');
    t.equal(progress?.requestedBy, who.label, 'and who asked');

    const recorded = await store.readStream(adminActionsStreamName(who.adminId));
    t.deepEqual(
      recorded.map((message) => `${message.type} ${(message.data as { projection: string }).projection}`),
      projections.flatMap((projection) => [
        `ProjectionRebuildRequested ${projection.name}`,
        `ProjectionRebuilt ${projection.name}`,
      ]),
      'each rebuild is an admin action, requested and done',
    );
    const schemas = await db.raw<{ rows: unknown[] }>(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'`,
    );
    t.deepEqual(schemas.rows, [], 'no shadow schema is left behind');
    const skipped = await db('skipped_messages').where({ stream_name: 'viewing-legacy-7' }).pluck('subscriber_id');
    t.deepEqual(
      skipped.sort(),
      [
        ADMIN_USERS_SUBSCRIBER_IDS.viewings,
        HOME_PAGE_SUBSCRIBER_ID,
        VIDEOS_SUBSCRIBER_IDS.views,
        POPULAR_VIDEOS_SUBSCRIBER_ID,
      ].sort(),
      'a message that breaks its contract is skipped, as live',
    );

    // The live subscribers had been stopped at their own positions; they follow the moved ones.
    const first = history.videos[0]!;
    const views = async () =>
      Number((await db('videos').where({ video_id: first.videoId }).first<{ views: string }>('views'))?.views);
    const viewsBefore = await views();
    const last = history.videos.at(-1)!;
    const lastViews = Number(
      (await db('videos').where({ video_id: last.videoId }).first<{ views: string }>('views'))?.views,
    );
    t.equal(
      lastViews,
      3 + 1 + 2,
      'the rebuilt count of the last video takes four unnamed viewings, then visitors a and b once of their two each',
    );
    await view(store, first, 2);
    await catchUp(live);
    t.equal(await views(), viewsBefore + 2, 'a viewing after the rebuild counts once');
    const [homePage] = pickProjections(projections, 'home-page') ?? [];
    const count = await contentsOf(db, 'home_page');
    await runRebuild({
      db,
      messageStore: store,
      messageStorePool: pool,
      logger: silentLogger,
      projection: homePage!,
      requester: who,
    });
    t.deepEqual(await contentsOf(db, 'home_page'), count, 'and a second rebuild agrees with the live count');
  },
);

scopedTest(
  'rebuild: a second rebuild of the same projection is refused while one runs; an unknown name picks nothing',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeHistory(store, pool, { videos: 1 });
    const projections = rebuildableProjections();
    const [videos] = pickProjections(projections, 'videos')!;
    const run = (onProgress?: () => Promise<void>) =>
      runRebuild({
        db,
        messageStore: store,
        messageStorePool: pool,
        logger: silentLogger,
        projection: videos!,
        requester: requester(),
        batchSize: 2,
        ...(onProgress && { onProgress }),
      });
    let second: unknown;
    let asked = false;
    await run(async () => {
      if (asked) return;
      asked = true;
      second = await run().catch((error: unknown) => error);
    });
    t.match(String(second), /already running/, 'the second is refused while the first runs');
    t.equal(pickProjections(projections, 'nonsense'), undefined, 'an unknown name');
    t.equal(pickProjections(projections, 'all')?.length, projections.length, "'all' is every projection");
  },
);

scopedTest('rebuild: a failure leaves the live projection as it was and says why', async (t, scope) => {
  const { store, pool, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await writeHistory(store, pool, { videos: 1 });
  const live = liveSubscribers(db, store);
  await catchUp(live);
  const before = await contentsOf(db, 'videos');
  const [videos] = pickProjections(rebuildableProjections(), 'videos')!;
  const aborted = new AbortController();
  const error = await runRebuild({
    db,
    messageStore: store,
    messageStorePool: pool,
    logger: silentLogger,
    projection: videos!,
    requester: requester(),
    batchSize: 2,
    signal: aborted.signal,
    onProgress: (report) => {
      if (report.phase === 'building' && report.done > 0) aborted.abort();
    },
  }).catch((caught: unknown) => caught);
  t.match(String(error), /interrupted/, 'an interrupted rebuild fails');
  t.deepEqual(await contentsOf(db, 'videos'), before, 'the live table is untouched');
  const [progress] = await readProgress(db, ['videos']);
  t.equal(progress?.state, 'failed', 'the progress row says it failed');
  t.match(progress?.error ?? '', /interrupted/, 'and why');
  const schemas = await db.raw<{ rows: unknown[] }>(
    `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rebuild\\_%'`,
  );
  t.deepEqual(schemas.rows, [], 'the half-built shadow is dropped');
});

scopedTest(
  'rebuild: admin-streams, read across categories up to the safe horizon, equals the projection built from zero; a write in flight during the rebuild is not lost',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeHistory(store, pool);
    const deps = {
      db,
      messageStore: store,
      logger: silentLogger,
      subscription: { retry: FAST_RETRY, batchSize: 5, pollIntervalMs: 50 },
    };
    const live = liveSubscription(adminStreamsDefinition, deps);
    scope.running(live).start();
    await drain(live);

    // Another program holds a write open in one category while another commits past it.
    const slow = scope.add(
      new pg.Client({ connectionString: urls.messageStoreUrl, options: '-c search_path=message_store,public' }),
      (client) => client.end(),
    );
    await slow.connect();
    await slow.query('BEGIN');
    await slow.query(`SELECT write_message($1, 'lateWriter-1', 'Late', '{}')`, [randomUUID()]);
    await store.write(`quickWriter-${randomUUID()}`, { id: randomUUID(), type: 'Quick', data: {}, metadata: {} });

    const [adminStreams] = pickProjections(rebuildableProjections(), 'admin-streams')!;
    const tables = adminStreams!.tables;
    await runRebuild({
      db,
      messageStore: store,
      messageStorePool: pool,
      logger: silentLogger,
      projection: adminStreams!,
      requester: requester(),
      batchSize: 4,
    });
    await slow.query('COMMIT');
    const head = Number(
      (await pool.query<{ max: string }>('SELECT max(global_position) AS max FROM messages')).rows[0]?.max,
    );
    await waitUntil(
      'the live subscriber to go on from the rebuild to the head',
      () => live.status().caughtUp && live.status().position >= head,
    );
    const rebuilt = await tablesOf(db, tables);
    t.ok(
      rebuilt.admin_streams?.some((row) => (row as { stream_name: string }).stream_name === 'lateWriter-1'),
      'the write that committed after the rebuild passed it is listed',
    );

    // The same projection from zero: emptied, its position forgotten, read again by a new subscriber.
    await live.stop();
    for (const table of tables) await db(table).del();
    await db('subscriber_positions').where({ subscriber_id: ADMIN_STREAMS_SUBSCRIBER_ID }).del();
    const fromZero = liveSubscription(adminStreamsDefinition, deps);
    scope.running(fromZero).start();
    await waitUntil(
      'the projection to be built again from zero',
      () => fromZero.status().caughtUp && fromZero.status().position >= head,
    );
    t.deepEqual(
      rebuilt,
      await tablesOf(db, tables),
      'the rebuilt and live-followed tables equal the projection built from zero',
    );
  },
);

scopedTest(
  'rebuild: admin-streams passes gaps left for good (idempotent rewrites, a rollback), reads them before the swap, and equals the projection built from zero',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    // Each message written twice: the second write is refused by the unique id and leaves its global position unused.
    for (let n = 0; n < 4; n += 1) {
      const again = { id: randomUUID(), type: 'Again', data: { n }, metadata: {} };
      await store.write(`rewritten-${n}`, again);
      await store.write(`rewritten-${n}`, again);
      await store.write(`between-${n}`, { id: randomUUID(), type: 'Between', data: {}, metadata: {} });
    }
    await pool.query(
      "BEGIN; SELECT write_message(gen_random_uuid()::text, $1, 'RolledBack', '{}'); ROLLBACK;".replace(
        '$1',
        "'rolledBack-1'",
      ),
    );
    await store.write('after-1', { id: randomUUID(), type: 'After', data: {}, metadata: {} });
    const gaps = await pool.query<{ n: string }>('SELECT max(global_position) - count(*) AS n FROM messages');
    t.ok(Number(gaps.rows[0]?.n) >= 5, `the store has ${gaps.rows[0]?.n} gaps`);

    const deps = {
      db,
      messageStore: store,
      logger: silentLogger,
      subscription: { retry: FAST_RETRY, batchSize: 5, pollIntervalMs: 50 },
    };
    const live = liveSubscription(adminStreamsDefinition, deps);
    scope.running(live).start();
    const head = async () =>
      Number((await pool.query<{ max: string }>('SELECT max(global_position) AS max FROM messages')).rows[0]?.max);
    const before = await head();
    await waitUntil('the live subscriber to pass every gap', () => live.status().position >= before);

    const [adminStreams] = pickProjections(rebuildableProjections(), 'admin-streams')!;
    let doneAtSwap = -1;
    const result = await runRebuild({
      db,
      messageStore: store,
      messageStorePool: pool,
      logger: silentLogger,
      projection: adminStreams!,
      requester: requester(),
      batchSize: 3,
      onProgress: (report) => {
        if (report.phase === 'swapping' && doneAtSwap < 0) doneAtSwap = report.done;
      },
    });
    t.equal(doneAtSwap, result.messages, 'every message was read before the swap: none left to read under its lock');
    const rebuiltHead = await head();
    await waitUntil(
      'the live subscriber to go on from the rebuild',
      () => live.status().caughtUp && live.status().position >= rebuiltHead,
    );
    const rebuilt = await tablesOf(db, adminStreams!.tables);

    await live.stop();
    for (const table of adminStreams!.tables) await db(table).del();
    await db('subscriber_positions').where({ subscriber_id: ADMIN_STREAMS_SUBSCRIBER_ID }).del();
    const fromZero = liveSubscription(adminStreamsDefinition, deps);
    scope.running(fromZero).start();
    await waitUntil(
      'the projection built again from zero',
      () => fromZero.status().caughtUp && fromZero.status().position >= rebuiltHead,
    );
    t.deepEqual(rebuilt, await tablesOf(db, adminStreams!.tables), 'equal to the projection built from zero');
  },
);
