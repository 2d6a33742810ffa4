import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import {
  liveSubscription,
  liveSubscriptions,
  projectionOf,
  projectionSettings,
} from '../../src/aggregators/definition.ts';
import { ADMIN_USERS_SUBSCRIBER_IDS, adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { homePageDefinition, HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { videosDefinition, VIDEOS_SUBSCRIBER_IDS } from '../../src/aggregators/videos/index.ts';
import { viewingStreamName, type VideoViewed } from '../../src/contracts/viewing.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { pickProjections, rebuildableProjections, runRebuild } from '../../src/rebuild/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { videosWatched } from '../helpers/viewings.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const WINDOW_MINUTES = 30;
const BASE = Date.parse('2026-12-01T10:00:00Z');

interface Viewing {
  readonly videoId: string;
  /** Null: a viewing written before viewings named their visitor (version 1 or 2). */
  readonly visitor: string | null;
  readonly minutes: number;
  readonly userId?: string;
}

/** The three projections that count viewings, with a window of WINDOW_MINUTES. */
function counters(db: Knex, messageStore: MessageStore, batchSize = 100) {
  const deps = {
    db,
    messageStore,
    logger: silentLogger,
    viewingCountWindowMs: WINDOW_MINUTES * 60_000,
    subscription: { retry: FAST_RETRY, batchSize },
  };
  return {
    subscriptions: [
      liveSubscription(homePageDefinition, deps),
      liveSubscriptions(videosDefinition, deps)[1],
      liveSubscriptions(adminUsersDefinition, deps)[3],
    ],
  };
}

async function openSuperuser(scope: Scope, url: string): Promise<pg.Client> {
  const client = scope.add(
    new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' }),
    (c) => c.end(),
  );
  await client.connect();
  return client;
}

/**
 * Writes each viewing and dates it `minutes` after BASE, as if written then (dating takes the
 * server's superuser: the app's own role may not change the log). Version 3 with a visitor key,
 * or a version 2 viewing without one.
 */
async function writeViewings(store: MessageStore, superuser: pg.Client, viewings: readonly Viewing[]): Promise<void> {
  for (const { videoId, visitor, minutes, userId = null } of viewings) {
    const id = randomUUID();
    if (visitor === null) {
      await superuser.query(`SELECT write_message($1, $2, 'VideoViewed', $3, '{"schemaVersion":"2"}')`, [
        id,
        viewingStreamName(videoId),
        JSON.stringify({ videoId, userId, source: 'button' }),
      ]);
    } else {
      const viewed: VideoViewed = {
        id,
        type: 'VideoViewed',
        data: { videoId, userId, source: 'watch-page', visitorKey: visitor },
        metadata: {},
      };
      await store.write(viewingStreamName(videoId), viewed);
    }
    await superuser.query('UPDATE messages SET time = $2 WHERE id = $1', [
      id,
      new Date(BASE + minutes * 60_000).toISOString().replace('Z', ''),
    ]);
  }
}

const videoViews = async (db: Knex, videoId: string) =>
  Number((await db('videos').where({ video_id: videoId }).first<{ views: string } | undefined>('views'))?.views ?? 0);

async function userViewings(db: Knex, userId: string): Promise<{ recorded: number; counted: number }> {
  const row = await db('admin_users')
    .where({ user_id: userId })
    .first<{ viewings: string; counted_viewings: string } | undefined>('viewings', 'counted_viewings');
  return { recorded: Number(row?.viewings ?? 0), counted: Number(row?.counted_viewings ?? 0) };
}

scopedTest(
  'viewing counts: one visitor, one video, twice within the window: counted once everywhere, recorded twice',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [videoId, userId] = [randomUUID(), randomUUID()];
    await writeViewings(store, superuser, [
      { videoId, visitor: 'visitor-a-key-000000000', minutes: 0, userId },
      { videoId, visitor: 'visitor-a-key-000000000', minutes: 29.9, userId },
    ]);
    for (const subscription of counters(db, store).subscriptions) await drain(subscription);
    t.equal(await videosWatched(db), 1, 'the home page counts it once');
    t.equal(await videoViews(db, videoId), 1, "so does the video's count");
    t.deepEqual(
      await userViewings(db, userId),
      { recorded: 2, counted: 1 },
      'the admin portal has both: two recorded, one counted',
    );
    const listed = await db('admin_user_viewings')
      .where({ user_id: userId })
      .orderBy('global_position')
      .pluck('counted');
    t.deepEqual(listed, [true, false], 'and says which of the user’s viewings counted');
  },
);

scopedTest(
  'viewing counts: the window is per visitor and video, and starts again from the last viewing counted',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [first, second] = [randomUUID(), randomUUID()];
    await writeViewings(store, superuser, [
      // After the window: counted again, exactly at its end included.
      { videoId: first, visitor: 'visitor-a-key-000000000', minutes: 0 },
      { videoId: first, visitor: 'visitor-a-key-000000000', minutes: WINDOW_MINUTES },
      // Another visitor of the same video: counted on their own.
      { videoId: first, visitor: 'visitor-b-key-000000000', minutes: 1 },
      // The first visitor on another video: that video's own window.
      { videoId: second, visitor: 'visitor-a-key-000000000', minutes: 2 },
      // Every ten minutes for an hour: counted at 0, 30 and 60, where each window (from the last counted) ends.
      ...[0, 10, 20, 30, 40, 50, 60].map((minutes) => ({
        videoId: second,
        visitor: 'visitor-c-key-000000000',
        minutes,
      })),
    ]);
    for (const subscription of counters(db, store, 3).subscriptions) await drain(subscription);
    t.equal(await videoViews(db, first), 3, 'first video: visitor a twice (the window passed), visitor b once');
    t.equal(await videoViews(db, second), 1 + 3, 'second video: visitor a once, visitor c at 0, 30 and 60 minutes');
    t.equal(await videosWatched(db), 7, 'the home page agrees: seven counted of eleven recorded');
  },
);

scopedTest(
  'viewing counts: viewings written before visitors were named (versions 1 and 2) each count, as they always did',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const videoId = randomUUID();
    await pool.query(`SELECT write_message(gen_random_uuid()::text, $1, 'VideoViewed', $2)`, [
      viewingStreamName(videoId),
      JSON.stringify({ videoId, userId: null }),
    ]);
    await writeViewings(store, superuser, [
      { videoId, visitor: null, minutes: 0 },
      { videoId, visitor: null, minutes: 1 },
    ]);
    for (const subscription of counters(db, store).subscriptions) await drain(subscription);
    for (const subscription of counters(db, store).subscriptions)
      t.notEqual(subscription.status().state, 'stalled', `${subscription.subscriberId} read them`);
    t.equal(
      await videoViews(db, videoId),
      3,
      'a version 1 and two version 2 viewings: three views, nothing to tell their viewers apart by',
    );
    t.equal(await videosWatched(db), 3, 'the home page counts all three');
    t.equal(
      await db('skipped_messages')
        .count({ n: '*' })
        .first()
        .then((row) => Number(row?.n)),
      0,
      'none skipped',
    );
  },
);

scopedTest(
  'viewing counts: each handler given the same viewings twice counts them once, and keeps the same windows',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [videoId, userId] = [randomUUID(), randomUUID()];
    const visitor = 'visitor-a-key-000000000';
    // And one that names no visitor (version 2): only the projections' own guards keep it from counting twice.
    await writeViewings(store, superuser, [
      ...[0, 10, 31, 32].map((minutes) => ({ videoId, visitor, minutes, userId })),
      { videoId, visitor: null, minutes: 33, userId },
    ]);
    const settings = projectionSettings(WINDOW_MINUTES * 60_000);
    const batch = await store.readCategory('viewing');
    // Each handler as a fresh processor (no position in memory), given a batch from position 0.
    const deliver =
      <T>(subscriberId: string, projection: BatchProjection<T>) =>
      (messages: readonly RawMessage[]) =>
        createAggregatorProcessor({ db, subscriberId, projection }).process(messages, 0, processorContext());
    const parts = [
      deliver(HOME_PAGE_SUBSCRIBER_ID, projectionOf(homePageDefinition, HOME_PAGE_SUBSCRIBER_ID, settings)),
      deliver(VIDEOS_SUBSCRIBER_IDS.views, projectionOf(videosDefinition, VIDEOS_SUBSCRIBER_IDS.views, settings)),
      deliver(
        ADMIN_USERS_SUBSCRIBER_IDS.viewings,
        projectionOf(adminUsersDefinition, ADMIN_USERS_SUBSCRIBER_IDS.viewings, settings),
      ),
    ];
    const snapshot = async () => ({
      home: await videosWatched(db),
      video: await videoViews(db, videoId),
      user: await userViewings(db, userId),
      windows: await Promise.all(
        ['home_page_viewers', 'video_viewers', 'admin_user_viewers'].map((table) => db(table).select('*')),
      ),
    });
    // Two deliveries from position 0, as after a crash that lost the in-memory position.
    for (let delivery = 0; delivery < 2; delivery += 1) {
      for (const handle of parts) await handle(batch);
    }
    const once = await snapshot();
    t.deepEqual(
      [once.home, once.video, once.user],
      [3, 3, { recorded: 5, counted: 3 }],
      'counted at 0 and 31 minutes and the unnamed one, each once',
    );

    // An operator moves the positions back without clearing the rows: the rows' own guards hold.
    await db('subscriber_positions')
      .whereIn('subscriber_id', [VIDEOS_SUBSCRIBER_IDS.views, ADMIN_USERS_SUBSCRIBER_IDS.viewings])
      .del();
    for (const handle of parts.slice(1)) {
      for (const viewing of batch) await handle([viewing]);
    }
    t.deepEqual(
      await snapshot(),
      once,
      'replayed one viewing at a time over the rows: nothing counted twice, no window moved',
    );
  },
);

scopedTest(
  'viewing counts: rebuilt with the same window, the counts come out the same; with another window, by the new rule',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [videoId, userId] = [randomUUID(), randomUUID()];
    await writeViewings(store, superuser, [
      ...[0, 10, 20, 30, 40].map((minutes) => ({ videoId, visitor: 'visitor-a-key-000000000', minutes, userId })),
      { videoId, visitor: 'visitor-b-key-000000000', minutes: 5 },
      { videoId, visitor: null, minutes: 6 },
    ]);
    for (const subscription of counters(db, store).subscriptions) await drain(subscription);
    const counts = async () => ({
      home: await videosWatched(db),
      video: await videoViews(db, videoId),
      user: await userViewings(db, userId),
    });
    const live = await counts();
    t.deepEqual(
      live,
      { home: 4, video: 4, user: { recorded: 5, counted: 2 } },
      'live, 30 minutes: visitor a at 0 and 30, visitor b, the unnamed one',
    );

    const adminId = randomUUID();
    const rebuild = async (viewingCountWindowMs: number) => {
      const projections = rebuildableProjections({ viewingCountWindowMs });
      for (const name of ['home-page', 'videos', 'admin-users']) {
        const [projection] = pickProjections(projections, name) ?? [];
        await runRebuild({
          db,
          messageStore: store,
          messageStorePool: pool,
          logger: silentLogger,
          projection: projection!,
          requester: { adminId, userId: adminId, label: 'test', traceId: randomUUID() },
          batchSize: 2,
        });
      }
    };
    await rebuild(WINDOW_MINUTES * 60_000);
    t.deepEqual(await counts(), live, 'rebuilt from the log with the same window, in batches of two: the same counts');
    await rebuild(15 * 60_000);
    t.deepEqual(
      await counts(),
      { home: 5, video: 5, user: { recorded: 5, counted: 3 } },
      'with a window of 15 minutes: visitor a at 0, 20 and 40',
    );
  },
);
