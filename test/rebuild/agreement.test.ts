// Rebuild and live agree for every projection on the same store, skipped bad data included: both
// come from one definition per projection (src/aggregators/projections.ts) and one parse-and-skip path.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type pg from 'pg';
import { liveSubscriptions, type ProjectionDefinition } from '../../src/aggregators/definition.ts';
import { PROJECTIONS } from '../../src/aggregators/projections.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { rebuildableProjections, runRebuild } from '../../src/rebuild/index.ts';
import { ALL_CATEGORIES, type Subscription } from '../../src/subscription/subscription.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { writeHistory, writeVisibilityHistory } from './history.ts';
import { writePlaybackHistory } from './playback-history.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { contentsOf } from './tables.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** Message types the projections read, per category: each written once with data that breaks its contract. */
const READ_TYPES: Record<string, readonly string[]> = {
  identity: ['Registered', 'RegistrationEmailSent', 'AdminRoleGranted', 'AdminRoleRevoked', 'UserErased'],
  authentication: ['UserLoggedIn'],
  viewing: ['VideoViewed'],
  playback: ['PlaybackProgressed'],
  'videoPublishing:command': ['PublishVideo', 'NameVideo', 'DescribeVideo', 'UnpublishVideo', 'TakeDownVideo'],
  videoPublishing: [
    'VideoPublishingAccepted',
    'VideoPublishingRejected',
    'VideoTranscodingStarted',
    'VideoTranscodingProgressed',
    'VideoPublished',
    'VideoPublishingFailed',
    'VideoVisibilityChanged',
    'VideoPosterChanged',
    'VideoDeleted',
  ],
};

async function writeBrokenMessages(pool: pg.Pool): Promise<void> {
  for (const [category, types] of Object.entries(READ_TYPES)) {
    for (const type of types) {
      // Written past the store's own checks, as another writer or an old shape would be; traced, as
      // video-operations passes over an untraced answer before it looks at the data.
      const metadata = JSON.stringify({ traceId: randomUUID() });
      await pool.query('SELECT write_message($1, $2, $3, $4, $5)', [
        randomUUID(),
        `${category}-${randomUUID()}`,
        type,
        JSON.stringify({ unexpected: true }),
        metadata,
      ]);
    }
  }
}

const DEFINITIONS: readonly ProjectionDefinition[] = PROJECTIONS;
const everyPart = DEFINITIONS.flatMap((definition) => definition.parts);

function live(db: Knex, messageStore: MessageStore): Subscription[] {
  const deps = { db, messageStore, logger: silentLogger, subscription: { retry: FAST_RETRY, batchSize: 7 } };
  return DEFINITIONS.flatMap((definition) => liveSubscriptions(definition, deps));
}

async function catchUp(subscriptions: readonly Subscription[]): Promise<void> {
  for (const subscription of subscriptions) await drain(subscription);
  for (const subscription of subscriptions)
    if (subscription.status().state === 'stalled') throw new Error(`${subscription.subscriberId} stalled`);
}

/** Every projection table's rows, and what each subscriber skipped and why. */
async function snapshot(db: Knex): Promise<Record<string, unknown>> {
  const tables: Record<string, unknown> = {};
  for (const definition of DEFINITIONS)
    for (const table of definition.tables) tables[table] = await contentsOf(db, table);
  const skipped = await db('skipped_messages')
    .whereIn(
      'subscriber_id',
      everyPart.map((part) => part.subscriberId),
    )
    .orderBy(['subscriber_id', 'global_position'])
    .select('subscriber_id', 'global_position', 'message_id', 'type', 'reason');
  return { ...tables, skipped_messages: skipped };
}

scopedTest(
  "rebuild and live agree: every projection, rebuilt from a store of good and contract-breaking messages, equals the live subscribers' replay of it",
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const history = await writeHistory(store, pool);
    await writeVisibilityHistory(store);
    await writePlaybackHistory(
      store,
      createPersonalData(db),
      history.videos.map((video) => video.videoId),
    );
    await writeBrokenMessages(pool);
    await catchUp(live(db, store));
    const partsRead = everyPart.filter((part) => part.category !== ALL_CATEGORIES).map((part) => part.subscriberId);
    const skippedBy = new Set(await db('skipped_messages').distinct().pluck('subscriber_id'));
    t.deepEqual(
      partsRead.filter((id) => !skippedBy.has(id)),
      [],
      'live, every subscriber of a category skipped some of the bad data',
    );

    // Rebuild each projection (their records of skips are made again), then let live take the tail: the rebuilds' own admin actions.
    await db('skipped_messages').del();
    const adminId = randomUUID();
    for (const projection of rebuildableProjections()) {
      const result = await runRebuild({
        db,
        messageStore: store,
        messageStorePool: pool,
        logger: silentLogger,
        projection,
        requester: { adminId, userId: adminId, label: 'test', traceId: randomUUID() },
        batchSize: 5,
      });
      if (projection.parts.some((part) => part.category !== ALL_CATEGORIES))
        t.ok(result.skipped > 0, `${projection.name}: the rebuild skipped the bad data`);
    }
    await catchUp(live(db, store));
    const rebuilt = await snapshot(db);

    // The same store replayed live from nothing: tables emptied (seeded again) and positions gone, together.
    await db.transaction(async (trx) => {
      for (const definition of DEFINITIONS) {
        await trx.raw(`TRUNCATE ${definition.tables.map(() => '??').join(', ')}`, definition.tables);
        await definition.seed?.(trx);
      }
      await trx('subscriber_positions')
        .whereIn(
          'subscriber_id',
          everyPart.map((part) => part.subscriberId),
        )
        .del();
      await trx('skipped_messages').del();
    });
    await catchUp(live(db, store));
    const replayed = await snapshot(db);

    for (const key of Object.keys(replayed))
      t.deepEqual(rebuilt[key], replayed[key], `${key}: rebuilt as live makes it`);
    for (const table of ['video_search', 'video_search_creators', 'video_search_words'])
      t.ok((replayed[table] as unknown[]).length > 0, `${table}: there were rows to compare`);
  },
);
