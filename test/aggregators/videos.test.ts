import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscriptions, projectionOf } from '../../src/aggregators/definition.ts';
import { videosDefinition, VIDEOS_SUBSCRIBER_IDS } from '../../src/aggregators/videos/index.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents, writeViewings, type TestVideo } from '../fixtures/catalog-events.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

interface Row {
  video_id: string;
  owner_id: string | null;
  name: string | null;
  description: string;
  status: string | null;
  transcoded_uri: string | null;
  poster_uri: string | null;
  duration_seconds: number | null;
  width: number | null;
  height: number | null;
  views: string;
  published_at: Date | null;
}

function aggregator(store: MessageStore, db: Knex, batchSize = 100) {
  return liveSubscriptions(videosDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize },
  });
}

/** Runs both subscribers until each has read everything. */
async function catchUp(store: MessageStore, db: Knex, batchSize = 100): Promise<void> {
  for (const subscription of aggregator(store, db, batchSize)) await drain(subscription);
}

const COLUMNS = [
  'video_id',
  'owner_id',
  'name',
  'description',
  'status',
  'transcoded_uri',
  'poster_uri',
  'duration_seconds',
  'width',
  'height',
  'views',
  'published_at',
];

async function row(db: Knex, { videoId }: TestVideo): Promise<Row | undefined> {
  return db('videos').where({ video_id: videoId }).first<Row | undefined>(COLUMNS);
}

async function allRows(db: Knex): Promise<Row[]> {
  return db('videos').orderBy('video_id').select<Row[]>(COLUMNS);
}

const views = async (db: Knex, video: TestVideo): Promise<number> => Number((await row(db, video))?.views ?? 0);
const visibility = async (db: Knex, { videoId }: TestVideo): Promise<string | undefined> =>
  (await db('videos').where({ video_id: videoId }).first<{ visibility: string } | undefined>('visibility'))?.visibility;

scopedTest(
  'videos: published, named and described → a catalog row; viewings counted; unpublished → a draft, out of the catalog',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    // Steps that are not the catalog's pass by without a row.
    const written = await writeEvents(
      store,
      video,
      controls.accepted(video),
      controls.started(video),
      controls.published(video),
      controls.named(video, 'Event sourcing in ten minutes'),
      controls.described(video, 'Streams, events, projections.'),
    );
    await writeViewings(store, video, 3);
    await catchUp(store, db);

    const published = written.find((event) => event.type === 'VideoPublished')!;
    t.deepEqual(
      await row(db, video),
      {
        video_id: video.videoId,
        owner_id: video.ownerId,
        name: 'Event sourcing in ten minutes',
        description: 'Streams, events, projections.',
        status: 'published',
        transcoded_uri: `video-store:transcoded/${video.videoId}.mp4`,
        poster_uri: `video-store:posters/${video.videoId}.jpg`,
        duration_seconds: 4.5,
        width: 640,
        height: 360,
        views: '3',
        published_at: published.time,
      },
      'the row, published at the time of VideoPublished, with three views',
    );

    t.equal(await visibility(db, video), 'public', 'public, as it was uploaded');
    await writeEvents(store, video, controls.unpublished(video));
    await catchUp(store, db);
    t.deepEqual(
      [(await row(db, video))?.status, await visibility(db, video)],
      ['published', 'draft'],
      'converted still, and a draft',
    );
    t.equal(await views(db, video), 3, 'its views kept');
  },
);

scopedTest(
  'videos: a viewing before the publish row still counts, and the publish row keeps the count',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [catalog, viewsSubscriber] = aggregator(store, db);
    const early = newVideo();
    await writeEvents(store, early, controls.accepted(early), controls.published(early));
    await writeViewings(store, early, 2);
    // The views subscriber is ahead: the viewings make the row before the catalog knows of the video.
    await drain(viewsSubscriber);
    t.deepEqual(
      await row(db, early),
      { ...(await row(db, early))!, status: null, owner_id: null, views: '2' },
      'a row with only the count',
    );
    await drain(catalog);
    t.equal((await row(db, early))?.status, 'published', 'then published');
    t.equal(await views(db, early), 2, 'and both viewings still counted');

    // The other way round: the catalog first, then the viewings.
    const late = newVideo();
    await writeViewings(store, late, 1);
    await writeEvents(
      store,
      late,
      controls.accepted(late),
      controls.named(late, 'Named while transcoding'),
      controls.published(late),
    );
    await drain(catalog);
    await writeViewings(store, late, 1);
    await drain(viewsSubscriber);
    t.equal(await views(db, late), 2, 'viewings on both sides of the publish counted');
    t.equal((await row(db, late))?.name, 'Named while transcoding', 'a name given before publishing is kept');
  },
);

scopedTest(
  'videos: a replay changes nothing: a batch delivered twice, or both positions moved back to the start',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const videos = [newVideo(), newVideo()];
    for (const [n, video] of videos.entries()) {
      await writeEvents(
        store,
        video,
        controls.accepted(video),
        controls.published(video),
        controls.named(video, 'First name'),
        controls.named(video, `Second name ${n}`),
      );
      await writeViewings(store, video, 3 + n);
    }
    await catchUp(store, db);
    const before = await allRows(db);
    t.deepEqual(
      before.map((video) => [video.name, video.views]).sort(),
      [
        ['Second name 0', '3'],
        ['Second name 1', '4'],
      ],
      'the last names, every viewing',
    );

    const projections = {
      catalog: projectionOf(videosDefinition, VIDEOS_SUBSCRIBER_IDS.catalog),
      views: projectionOf(videosDefinition, VIDEOS_SUBSCRIBER_IDS.views),
    };
    const viewings = await store.readCategory('viewing');
    const events = await store.readCategory('videoPublishing');
    await createAggregatorProcessor({
      db,
      subscriberId: VIDEOS_SUBSCRIBER_IDS.views,
      projection: projections.views,
    }).process(viewings, 0, processorContext());
    await createAggregatorProcessor({
      db,
      subscriberId: VIDEOS_SUBSCRIBER_IDS.catalog,
      projection: projections.catalog,
    }).process(events, 0, processorContext());
    t.deepEqual(await allRows(db), before, 'the same batches delivered again change nothing');

    // An operator moves the positions back; the rows stay. Replayed in smaller batches than the first run's.
    await db('subscriber_positions').whereIn('subscriber_id', Object.values(VIDEOS_SUBSCRIBER_IDS)).del();
    await catchUp(store, db, 2);
    t.deepEqual(await allRows(db), before, 'a replay from the start over the rows changes nothing');
  },
);

scopedTest(
  'videos: positions moved back while viewings kept coming: the old ones are not counted again, the new ones are',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    await writeViewings(store, video, 5);
    await drain(aggregator(store, db)[1]);
    await writeViewings(store, video, 3);
    await db('subscriber_positions').where({ subscriber_id: VIDEOS_SUBSCRIBER_IDS.views }).del();
    // Batches of 4: the second holds the fifth viewing, counted already, and three new ones.
    await drain(aggregator(store, db, 4)[1]);
    t.equal(await views(db, video), 8, 'eight viewings, each counted once');
  },
);

scopedTest('videos: an older catalog event applied again over a newer row changes nothing', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const video = newVideo();
  const [, , firstName] = await writeEvents(
    store,
    video,
    controls.accepted(video),
    controls.published(video),
    controls.named(video, 'Old name'),
    controls.named(video, 'New name'),
  );
  await writeEvents(store, video, controls.unpublished(video));
  await catchUp(store, db);
  const before = await row(db, video);
  const projections = {
    catalog: projectionOf(videosDefinition, VIDEOS_SUBSCRIBER_IDS.catalog),
    views: projectionOf(videosDefinition, VIDEOS_SUBSCRIBER_IDS.views),
  };
  const old = await store.readStream(videoPublishingStreamName(video.videoId), { batchSize: 3 });
  await db.transaction(async (trx) =>
    projections.catalog.apply(
      (await Promise.all(old.map((event) => projections.catalog.parse(event, trx)))).filter(
        (event) => event !== undefined,
      ),
      trx,
    ),
  );
  t.equal(firstName?.type, 'VideoNamed', 'the old batch holds the first name');
  t.deepEqual(await row(db, video), before, 'still a draft, under the new name');
});

scopedTest(
  'videos: contract-breaking viewings and events are skipped and recorded; the rest is applied',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const other = newVideo();
    await writeViewings(store, video, 1);
    await pool.query(
      `SELECT write_message(gen_random_uuid()::text, 'viewing-legacy-42', 'VideoViewed', '{"videoId":"legacy-42","userId":null}')`,
    );
    // A viewing of one video filed under another's stream would throw that stream's guard off.
    await store.write(`viewing-${other.videoId}`, {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId: video.videoId, userId: null },
      metadata: {},
    });
    await writeViewings(store, video, 1);
    const broken = {
      ...controls.published(other),
      data: { ...controls.published(other).data, posterUri: '/etc/passwd' },
    };
    await writeEvents(store, other, controls.accepted(other), broken, controls.named(other, 'Still named'));
    await writeEvents(store, video, controls.accepted(video), controls.published(video));
    await catchUp(store, db);

    t.equal(await views(db, video), 2, 'the two valid viewings counted');
    t.equal((await row(db, video))?.status, 'published', 'the valid video published');
    t.deepEqual(
      await row(db, other),
      { ...(await row(db, other))!, status: null, name: 'Still named', views: '0' },
      'the broken publish left out, the name applied',
    );
    const skipped = await db('skipped_messages')
      .orderBy('global_position')
      .select<{ subscriber_id: string; stream_name: string; reason: string }[]>(
        'subscriber_id',
        'stream_name',
        'reason',
      );
    t.deepEqual(
      skipped.map((entry) => [entry.subscriber_id, entry.stream_name]),
      [
        [VIDEOS_SUBSCRIBER_IDS.views, 'viewing-legacy-42'],
        [VIDEOS_SUBSCRIBER_IDS.views, `viewing-${other.videoId}`],
        [VIDEOS_SUBSCRIBER_IDS.catalog, `videoPublishing-${other.videoId}`],
      ],
      'each on record, under the subscriber that skipped it',
    );
    t.match(skipped[1]?.reason ?? '', /not its video's stream/, 'with the reason');
    t.match(skipped[2]?.reason ?? '', /posterUri/, 'and the field at fault');
  },
);

scopedTest('videos: two members of a consumer group count every viewing exactly once', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const members = [0, 1].map(
    (member) =>
      liveSubscriptions(videosDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        consumerGroup: { member, size: 2 },
        subscription: { batchSize: 3 },
      })[1],
  );
  for (const member of members) scope.running(member);
  const videos = [newVideo(), newVideo(), newVideo(), newVideo()];
  for (let round = 1; round <= 3; round += 1) {
    for (const video of videos) await writeViewings(store, video, round);
    await drain(members[0]!);
    await members[1]!.tick();
  }
  for (const member of members) await drain(member);
  t.deepEqual(await Promise.all(videos.map((video) => views(db, video))), [6, 6, 6, 6], 'six viewings of each');
});

scopedTest(
  'videos: a video is listed from the first time it is converted and public: a draft made public later comes first, and going private and back does not move it; any batch size',
  async (t, scope) => {
    for (const batchSize of [1, 100]) {
      const { store, urls } = await openTestStore(scope);
      const db = openProjectionDb(scope, urls.databaseUrl);
      const draft = newVideo();
      const publicAtOnce = newVideo();
      await writeEvents(store, draft, controls.accepted(draft, undefined, 'draft'), controls.published(draft));
      const [, converted] = await writeEvents(
        store,
        publicAtOnce,
        controls.accepted(publicAtOnce),
        controls.published(publicAtOnce),
      );
      await catchUp(store, db, batchSize);
      t.equal(
        (await row(db, draft))?.published_at ?? null,
        null,
        `batch ${batchSize}: a converted draft is not listed, so has no time in the list`,
      );
      t.deepEqual(
        (await row(db, publicAtOnce))?.published_at,
        converted!.time,
        `batch ${batchSize}: a public upload is listed when converted`,
      );

      const [madePublic] = await writeEvents(
        store,
        draft,
        controls.visibilityChanged(draft, 'public'),
        controls.visibilityChanged(draft, 'unlisted'),
        controls.visibilityChanged(draft, 'public'),
      );
      await writeEvents(
        store,
        publicAtOnce,
        controls.visibilityChanged(publicAtOnce, 'draft'),
        controls.visibilityChanged(publicAtOnce, 'public'),
      );
      await catchUp(store, db, batchSize);
      t.deepEqual(
        (await row(db, draft))?.published_at,
        madePublic!.time,
        `batch ${batchSize}: the draft is listed from when it was first made public`,
      );
      t.deepEqual(
        (await row(db, publicAtOnce))?.published_at,
        converted!.time,
        `batch ${batchSize}: hiding and showing again does not bring it to the top`,
      );
      const newest = await db('videos')
        .where({ status: 'published', visibility: 'public' })
        .orderBy('published_at', 'desc')
        .first<{ video_id: string }>('video_id');
      t.equal(newest?.video_id, draft.videoId, `batch ${batchSize}: so the newly public draft is first in the catalog`);
    }
  },
);

scopedTest(
  'videos: a creator’s channel total is the views of their published public videos, whichever subscriber goes first; delivered again, nothing counts twice',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    // Small batches, so the two subscribers' batches interleave.
    const [catalog, viewsSubscriber] = aggregator(store, db, 2);
    const ownerId = randomUUID();
    const video = (): TestVideo => ({ videoId: randomUUID(), ownerId });
    const total = async () =>
      Number((await db('channel_views').where({ owner_id: ownerId }).first<{ views: string }>('views'))?.views ?? 0);
    const [early, unlisted, toggled, gone] = [video(), video(), video(), video()];

    // Viewed before the catalog knows it: the row has no owner yet, so no channel.
    await writeViewings(store, early, 3);
    await drain(viewsSubscriber);
    t.equal(await total(), 0, 'viewings of a video no channel holds yet count for none');
    await writeEvents(store, early, controls.accepted(early), controls.published(early));
    await writeEvents(
      store,
      unlisted,
      controls.accepted(unlisted, undefined, 'unlisted'),
      controls.published(unlisted),
    );
    await writeEvents(store, toggled, controls.accepted(toggled), controls.published(toggled));
    await writeEvents(store, gone, controls.accepted(gone), controls.published(gone));
    await drain(catalog);
    t.equal(await total(), 3, 'published: its earlier views join the total');
    await writeViewings(store, unlisted, 2);
    await writeViewings(store, toggled, 4);
    await writeViewings(store, gone, 5);
    await drain(viewsSubscriber);
    t.equal(await total(), 3 + 4 + 5, 'then each public video’s views as they come; the unlisted one’s not');

    // Off and on again, viewings in between; one deleted; the unlisted one made public.
    await writeEvents(store, toggled, controls.visibilityChanged(toggled, 'unlisted'));
    await writeViewings(store, toggled, 1);
    await writeEvents(store, gone, controls.deleted(gone));
    await writeEvents(store, unlisted, controls.visibilityChanged(unlisted, 'public'));
    await drain(viewsSubscriber);
    await drain(catalog);
    t.equal(await total(), 3 + 2, 'unlisted and deleted leave it, the newly public one joins with its views');
    await writeEvents(store, toggled, controls.visibilityChanged(toggled, 'public'));
    await drain(catalog);
    t.equal(await total(), 3 + 2 + 5, 'public again: with every view, those counted while it was unlisted too');

    // Delivered again from the start: both subscribers read everything a second time.
    await db('subscriber_positions').whereIn('subscriber_id', Object.values(VIDEOS_SUBSCRIBER_IDS)).delete();
    await catchUp(store, db, 3);
    t.equal(await total(), 3 + 2 + 5, 'delivered again: the same total');
    const summed = await db('videos')
      .where({ owner_id: ownerId, status: 'published', visibility: 'public' })
      .first<{ views: string }>(db.raw('sum(views) AS views'));
    t.equal(await total(), Number(summed?.views), 'the sum of the rows themselves');
  },
);

scopedTest(
  'videos: the channel totals stay the sums of their rows while both subscribers apply their batches at once',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [catalog, viewsSubscriber] = aggregator(store, db, 2);
    const owners = [randomUUID(), randomUUID()];
    const videos: TestVideo[] = Array.from({ length: 8 }, (_, n) => ({
      videoId: randomUUID(),
      ownerId: owners[n % 2]!,
    }));
    for (const video of videos.slice(0, 4)) await writeViewings(store, video, 2);
    for (const video of videos) await writeEvents(store, video, controls.accepted(video), controls.published(video));
    for (let round = 0; round < 4; round += 1) {
      for (const [n, video] of videos.entries()) {
        await writeViewings(store, video, 1 + ((n + round) % 3));
        if ((n + round) % 3 === 0)
          await writeEvents(store, video, controls.visibilityChanged(video, round % 2 === 0 ? 'unlisted' : 'public'));
      }
      // Both at once: their transactions interleave statement by statement on the same rows.
      await Promise.all([drain(catalog), drain(viewsSubscriber)]);
    }
    await writeEvents(store, videos[0]!, controls.deleted(videos[0]!));
    await Promise.all([drain(catalog), drain(viewsSubscriber)]);
    for (const owner of owners) {
      const summed = await db('videos')
        .where({ owner_id: owner, status: 'published', visibility: 'public' })
        .first<{ views: string | null }>(db.raw('sum(views) AS views'));
      const kept = await db('channel_views').where({ owner_id: owner }).first<{ views: string } | undefined>('views');
      t.equal(Number(kept?.views ?? 0), Number(summed?.views ?? 0), 'a creator’s total is the sum of their rows');
    }
  },
);
