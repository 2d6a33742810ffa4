import type { Knex } from 'knex';
import { liveSubscription, projectionOf } from '../../src/aggregators/definition.ts';
import {
  creatorsVideosDefinition,
  CREATORS_VIDEOS_SUBSCRIBER_ID,
} from '../../src/aggregators/creators-videos/index.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents, type TestVideo } from '../fixtures/catalog-events.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

interface Row {
  video_id: string;
  owner_id: string;
  name: string | null;
  description: string;
  status: string;
  progress: number;
  failure_reason: string | null;
  poster_uri: string | null;
  duration_seconds: number | null;
  uploaded_at: Date;
}

const COLUMNS = [
  'video_id',
  'owner_id',
  'name',
  'description',
  'status',
  'progress',
  'failure_reason',
  'poster_uri',
  'duration_seconds',
  'uploaded_at',
];

function aggregator(store: MessageStore, db: Knex, batchSize = 100) {
  return liveSubscription(creatorsVideosDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize },
  });
}

async function catchUp(store: MessageStore, db: Knex, batchSize = 100): Promise<void> {
  await drain(aggregator(store, db, batchSize));
}

async function row(db: Knex, { videoId }: TestVideo): Promise<Row | undefined> {
  return db('creators_videos').where({ video_id: videoId }).first<Row | undefined>(COLUMNS);
}

async function allRows(db: Knex): Promise<Row[]> {
  return db('creators_videos').orderBy('video_id').select<Row[]>(COLUMNS);
}

scopedTest(
  'creators-videos: accepted → uploaded; transcoding with its progress; published with poster and duration; unpublished → draft',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const subscription = aggregator(store, db);
    const video = newVideo();
    const [accepted] = await writeEvents(store, video, controls.accepted(video));
    await drain(subscription);
    t.deepEqual(
      await row(db, video),
      {
        video_id: video.videoId,
        owner_id: video.ownerId,
        name: null,
        description: '',
        status: 'uploaded',
        progress: 0,
        failure_reason: null,
        poster_uri: null,
        duration_seconds: null,
        uploaded_at: accepted!.time,
      },
      'uploaded, owned, at the time it was accepted',
    );

    await writeEvents(
      store,
      video,
      controls.started(video),
      controls.named(video, 'While it transcodes'),
      controls.progressed(video, 30),
    );
    await drain(subscription);
    t.deepEqual(
      await row(db, video),
      { ...(await row(db, video))!, status: 'transcoding', progress: 30, name: 'While it transcodes' },
      'transcoding, 30 %, named meanwhile',
    );

    await writeEvents(
      store,
      video,
      controls.progressed(video, 60),
      controls.published(video, {}, 12.5),
      controls.described(video, 'About it'),
    );
    await drain(subscription);
    t.deepEqual(
      await row(db, video),
      {
        ...(await row(db, video))!,
        status: 'published',
        progress: 100,
        poster_uri: `video-store:posters/${video.videoId}.jpg`,
        duration_seconds: 12.5,
        description: 'About it',
      },
      'published, with its poster and duration',
    );

    await writeEvents(store, video, controls.unpublished(video));
    await drain(subscription);
    const unpublished = await db('creators_videos').where({ video_id: video.videoId }).first('status', 'visibility');
    t.deepEqual(
      unpublished,
      { status: 'published', visibility: 'draft' },
      'unpublished: converted still, a draft its owner can make public again',
    );
  },
);

scopedTest('creators-videos: a failed upload → failed, with the reason the creator reads', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const video = newVideo();
  const reason = 'The file has no video in it (is it a sound recording?). Please upload a video file.';
  await writeEvents(store, video, controls.accepted(video), controls.failed(video, reason));
  await catchUp(store, db);
  const failed = await row(db, video);
  t.deepEqual([failed?.status, failed?.failure_reason, failed?.progress], ['failed', reason, 0]);
});

scopedTest(
  'creators-videos: a replay changes nothing: a batch delivered twice, the position moved back, old events applied again',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const published = newVideo();
    const failed = newVideo();
    await writeEvents(
      store,
      published,
      controls.accepted(published),
      controls.started(published),
      controls.progressed(published, 50),
      controls.published(published),
      controls.named(published, 'One'),
      controls.named(published, 'Two'),
    );
    await writeEvents(
      store,
      failed,
      controls.accepted(failed),
      controls.started(failed),
      controls.failed(failed, 'could not be converted'),
    );
    await catchUp(store, db);
    const before = await allRows(db);
    t.deepEqual(before.map((video) => video.status).sort(), ['failed', 'published']);

    const projection = projectionOf(creatorsVideosDefinition, CREATORS_VIDEOS_SUBSCRIBER_ID);
    const events = await store.readCategory('videoPublishing');
    await createAggregatorProcessor({ db, subscriberId: CREATORS_VIDEOS_SUBSCRIBER_ID, projection }).process(
      events,
      0,
      processorContext(),
    );
    t.deepEqual(await allRows(db), before, 'the same batch delivered again changes nothing');

    await db('subscriber_positions').where({ subscriber_id: CREATORS_VIDEOS_SUBSCRIBER_ID }).del();
    await catchUp(store, db, 2);
    t.deepEqual(await allRows(db), before, 'a replay from the start, in other batches, changes nothing');

    // Old events of the published video applied by themselves again: with its acceptance (an
    // upsert), and without (an update).
    const early = await store.readStream(videoPublishingStreamName(published.videoId), { batchSize: 3 });
    const reapply = (events: typeof early) =>
      db.transaction(async (trx) =>
        projection.apply(
          (await Promise.all(events.map((event) => projection.parse(event, trx)))).filter(
            (event) => event !== undefined,
          ),
          trx,
        ),
      );
    await reapply(early);
    t.deepEqual(await allRows(db), before, 'accepted, started, 50 % again: still published, not back to uploaded');
    await reapply(early.slice(1));
    t.deepEqual(await allRows(db), before, 'started, 50 % again: still published, not back to transcoding');
  },
);

scopedTest(
  'creators-videos: contract-breaking events are skipped and recorded; the rest is applied',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const progressed = controls.progressed(video, 50);
    await writeEvents(
      store,
      video,
      controls.accepted(video),
      { ...progressed, data: { ...progressed.data, percent: 250 } },
      controls.progressed(video, 70),
    );
    await catchUp(store, db);
    t.equal((await row(db, video))?.progress, 70, 'the valid progress applied');
    const skipped = await db('skipped_messages')
      .where({ subscriber_id: CREATORS_VIDEOS_SUBSCRIBER_ID })
      .select<{ type: string; reason: string }[]>('type', 'reason');
    t.deepEqual(
      skipped.map((entry) => entry.type),
      ['VideoTranscodingProgressed'],
      'the 250 % one on record',
    );
    t.match(skipped[0]?.reason ?? '', /percent/, 'with the field at fault');
  },
);

scopedTest(
  'creators-videos: one batch sets every kind of column; a later one only its own; a video never accepted gets no row',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const stranger = newVideo();
    const candidates = [`video-store:posters/${video.videoId}-0.jpg`, `video-store:posters/${video.videoId}-1.jpg`];
    await writeEvents(
      store,
      video,
      controls.accepted(video, {}, 'unlisted'),
      controls.named(video, 'All at once'),
      controls.described(video, 'A long description'),
      controls.published(video, {}, 7.25, candidates),
    );
    // Events of a video whose acceptance is not in the store: nothing names its owner.
    await writeEvents(store, stranger, controls.named(stranger, 'Orphan'), controls.progressed(stranger, 40));
    await catchUp(store, db);
    const columns = ['name', 'description', 'status', 'visibility', 'poster_candidate_uris', 'duration_seconds'];
    t.deepEqual(
      await db('creators_videos').where({ video_id: video.videoId }).first(columns),
      {
        name: 'All at once',
        description: 'A long description',
        status: 'published',
        visibility: 'unlisted',
        poster_candidate_uris: candidates,
        duration_seconds: 7.25,
      },
      'accepted, named, described and published in one batch: every column, the candidates as a list',
    );
    t.equal(await row(db, stranger), undefined, 'no row for a video never accepted');

    await writeEvents(
      store,
      video,
      controls.posterChanged(video, candidates[1]!),
      controls.visibilityChanged(video, 'public'),
      controls.takenDown(video, 'Copyright'),
    );
    await catchUp(store, db);
    const after = await db('creators_videos')
      .where({ video_id: video.videoId })
      .first([...columns, 'poster_uri', 'take_down_reason']);
    t.deepEqual(
      after,
      {
        name: 'All at once',
        description: 'A long description',
        status: 'takenDown',
        visibility: 'public',
        poster_candidate_uris: candidates,
        duration_seconds: 7.25,
        poster_uri: candidates[1],
        take_down_reason: 'Copyright',
      },
      'a later batch changes only what its events set',
    );
    await db('subscriber_positions').where({ subscriber_id: CREATORS_VIDEOS_SUBSCRIBER_ID }).update({ position: 0 });
    await catchUp(store, db, 2);
    t.deepEqual(
      await db('creators_videos')
        .where({ video_id: video.videoId })
        .first([...columns, 'poster_uri', 'take_down_reason']),
      after,
      'every event delivered again, two at a time: the same row',
    );
  },
);
