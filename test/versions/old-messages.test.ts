import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import request from 'supertest';
import test from 'tape';
import { liveSubscription, liveSubscriptions } from '../../src/aggregators/definition.ts';
import { homePageDefinition, HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { videosDefinition, VIDEOS_SUBSCRIBER_IDS } from '../../src/aggregators/videos/index.ts';
import { viewingSchemas, viewingStreamName, type VideoViewed } from '../../src/contracts/viewing.ts';
import { createDispatcher } from '../../src/contracts/parse.ts';
import { parkedData } from '../../src/subscription/component-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { componentSubscriber, drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY, createTestSystem } from '../helpers/test-system.ts';
import { catalogVideo, videosWatched } from '../helpers/viewings.ts';
import { closeAtEnd, scopedTest } from '../helpers/scoped-test.ts';

/** A message as another program (or an older release) wrote it: straight SQL, metadata as given. */
async function writeRaw(
  pool: pg.Pool,
  stream: string,
  type: string,
  data: object,
  metadata: object | null,
): Promise<void> {
  await pool.query('SELECT write_message($1, $2, $3, $4, $5)', [
    randomUUID(),
    stream,
    type,
    JSON.stringify(data),
    metadata === null ? null : JSON.stringify(metadata),
  ]);
}

async function storedMetadata(pool: pg.Pool, stream: string): Promise<Array<Record<string, unknown>>> {
  const result = await pool.query<{ metadata: Record<string, unknown> }>(
    'SELECT metadata FROM messages WHERE stream_name = $1 ORDER BY position',
    [stream],
  );
  return result.rows.map((row) => row.metadata);
}

scopedTest(
  'versions: the store stamps each message with its type’s current version unless the writer named one',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const videoId = randomUUID();
    const viewed: VideoViewed = {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId, userId: null, source: 'button', visitorKey: 'a-visitor' },
      metadata: { traceId: 't-1' },
    };
    await store.write(viewingStreamName(videoId), viewed);
    const other = `${uniqueCategory()}-1`;
    await store.write(other, message('Tick'));
    await store.write(other, message('Tick', {}, { schemaVersion: '7' }));
    t.deepEqual(
      await storedMetadata(pool, viewingStreamName(videoId)),
      [{ traceId: 't-1', schemaVersion: '3' }],
      'VideoViewed is written as version 3',
    );
    t.deepEqual(
      (await storedMetadata(pool, other)).map((metadata) => metadata.schemaVersion),
      ['1', '7'],
      'a type that never changed is version 1; a version the writer gave is kept',
    );
  },
);

scopedTest(
  'versions: viewings written before version 3 are each counted (source unknown, no visitor); a future version is skipped and recorded',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const videoId = randomUUID();
    const stream = viewingStreamName(videoId);
    await writeRaw(pool, stream, 'VideoViewed', { videoId, userId: null }, null);
    await writeRaw(pool, stream, 'VideoViewed', { videoId, userId: 'someone' }, { schemaVersion: '1' });
    await writeRaw(pool, stream, 'VideoViewed', { videoId, userId: null, source: 'button' }, { schemaVersion: '2' });
    await store.write(stream, {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId, userId: null, source: 'watch-page', visitorKey: 'a-visitor' },
      metadata: {},
    });
    await writeRaw(pool, stream, 'VideoViewed', { videoId, viewer: { id: 'x' }, origin: 'tv' }, { schemaVersion: '4' });

    const raw = await store.readStream(stream);
    t.deepEqual(raw[0]?.data, { videoId, userId: null }, 'a raw read still shows what was stored');

    const aggregators = [
      liveSubscription(homePageDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        subscription: { retry: FAST_RETRY },
      }),
      ...liveSubscriptions(videosDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        subscription: { retry: FAST_RETRY },
      }),
    ];
    for (const subscription of aggregators) await drain(subscription);
    for (const subscription of aggregators)
      t.notEqual(subscription.status().state, 'stalled', `${subscription.subscriberId} did not stall`);

    t.equal(await videosWatched(db), 4, 'the home page counts the three old viewings and the new one');
    const row = await db('videos').where({ video_id: videoId }).first<{ views: string }>('views');
    t.equal(Number(row?.views), 4, 'so does the video’s count');
    const skipped = await db('skipped_messages')
      .orderBy('subscriber_id')
      .select<Array<{ subscriber_id: string; reason: string }>>('subscriber_id', 'reason');
    t.deepEqual(
      skipped.map((entry) => entry.subscriber_id),
      [HOME_PAGE_SUBSCRIBER_ID, VIDEOS_SUBSCRIBER_IDS.views],
      'the version 4 viewing is skipped by each reader, on record',
    );
    t.match(skipped[0]?.reason ?? '', /schemaVersion 4 is newer than this code reads/, 'saying why');
  },
);

scopedTest(
  'versions: a component sees every viewing as version 3 and parks one of a future version',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    // VideoViewed in a category of its own, so this test reads only its own messages.
    const category = uniqueCategory('viewed');
    const videoId = randomUUID();
    await writeRaw(pool, `${category}-${videoId}`, 'VideoViewed', { videoId, userId: null }, {});
    await store.write(`${category}-${videoId}`, {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId, userId: null, source: 'api', visitorKey: 'a-visitor' },
      metadata: {},
    });
    await writeRaw(
      pool,
      `${category}-${videoId}`,
      'VideoViewed',
      { videoId, userId: null, source: 'api' },
      { schemaVersion: '4' },
    );

    const sources: string[] = [];
    const handle = createDispatcher(viewingSchemas, {
      VideoViewed: async (viewing) => {
        sources.push(`${viewing.data.source} ${viewing.data.visitorKey}`);
      },
    });
    const subscriberId = `components:test-versions:${category}`;
    const subscription = scope.running(componentSubscriber(store, category, handle, { subscriberId }));
    await drain(subscription);
    t.deepEqual(
      sources,
      ['unknown null', 'api a-visitor'],
      'the handler gets the old viewing upcast and the new one as written',
    );
    const parked = await store.readStream(`deadLetter-${subscriberId}`);
    t.equal(parked.length, 1, 'the future one is parked');
    t.match(parkedData.parse(parked[0]?.data).error, /newer than this code reads/, 'with the reason');
    t.equal(subscription.status().parked, 1, 'and the component went on past it');
  },
);

test('versions: record-viewings writes version 3 with where the viewing came from and who it was by', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const sameSite = { 'Sec-Fetch-Site': 'same-origin' };
  const cases = [
    ['button', { ...sameSite, 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }],
    ['watch-page', { ...sameSite, 'Sec-Fetch-Mode': 'cors', 'Sec-Fetch-Dest': 'empty' }],
    ['watch-page', { ...sameSite, 'x-csrf-token': 'none-needed-without-a-session' }],
    ['api', sameSite],
  ] as const;
  for (const [source, headers] of cases) {
    const videoId = await catalogVideo(system.db);
    await request(system.app).post(`/record-viewing/${videoId}`).set(headers).type('form').send({}).expect(303);
    const [viewed] = await system.messageStore.readStream(viewingStreamName(videoId));
    const { visitorKey, ...data } = viewed?.data as { visitorKey: unknown };
    t.deepEqual(data, { videoId, userId: null, source }, `${JSON.stringify(headers)} → ${source}`);
    t.equal(typeof visitorKey, 'string', 'with a visitor key');
    t.equal(viewed?.metadata.schemaVersion, '3', 'stamped version 3');
  }
});
