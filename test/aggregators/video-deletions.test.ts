import type { Knex } from 'knex';
import { liveSubscription, liveSubscriptions } from '../../src/aggregators/definition.ts';
import { adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { creatorsVideosDefinition } from '../../src/aggregators/creators-videos/index.ts';
import { homePageDefinition } from '../../src/aggregators/home-page/index.ts';
import { videosDefinition } from '../../src/aggregators/videos/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents, writeViewings, type TestVideo } from '../fixtures/catalog-events.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// VideoDeleted, visibility and poster changes as every projection that shows a video reads them.

async function catchUp(store: MessageStore, db: Knex): Promise<void> {
  const deps = { db, messageStore: store, logger: silentLogger, subscription: { retry: FAST_RETRY } };
  const subscriptions = [
    ...liveSubscriptions(videosDefinition, deps),
    liveSubscription(creatorsVideosDefinition, deps),
    ...liveSubscriptions(adminUsersDefinition, deps),
    liveSubscription(homePageDefinition, deps),
  ];
  for (const subscription of subscriptions) await drain(subscription);
}

const rows = async (db: Knex, { videoId }: TestVideo) => ({
  catalog: await db('videos')
    .where({ video_id: videoId })
    .first('status', 'visibility', 'name', 'description', 'transcoded_uri', 'poster_uri', 'views'),
  creator: await db('creators_videos')
    .where({ video_id: videoId })
    .first(
      'status',
      'visibility',
      'name',
      'description',
      'poster_uri',
      'poster_candidate_uris',
      'failure_reason',
      'failed_at',
    ),
  admin: await db('admin_user_videos').where({ video_id: videoId }).first('status', 'visibility', 'name'),
});

const videosCounted = async (db: Knex, { ownerId }: TestVideo): Promise<number> =>
  Number(
    (await db('admin_users').where({ user_id: ownerId }).first<{ videos: string } | undefined>('videos'))?.videos ?? 0,
  );

const watched = async (db: Knex): Promise<number> =>
  Number((await db('home_page').where({ page_name: 'home' }).first('videos_watched'))?.videos_watched ?? 0);

scopedTest(
  'video visibility: uploaded as a draft, made public and unlisted, a poster picked: every projection follows',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const frames = [0, 1, 2].map((index) => uriOfKey(videoKeys.posterCandidate(video.videoId, index)));
    await writeEvents(
      store,
      video,
      controls.accepted(video, {}, 'draft'),
      controls.published(video, {}, 8, frames),
      controls.named(video, 'Knots'),
    );
    await catchUp(store, db);
    let seen = await rows(db, video);
    t.deepEqual(
      [seen.catalog?.status, seen.catalog?.visibility, seen.creator?.visibility, seen.admin?.visibility],
      ['published', 'draft', 'draft', 'draft'],
      'converted, a draft everywhere',
    );
    t.deepEqual(seen.creator?.poster_candidate_uris, frames, 'the frames to pick a poster from, in order');

    await writeEvents(
      store,
      video,
      controls.visibilityChanged(video, 'public'),
      controls.posterChanged(video, frames[2]!),
    );
    await catchUp(store, db);
    seen = await rows(db, video);
    t.deepEqual(
      [seen.catalog?.visibility, seen.creator?.visibility, seen.admin?.visibility],
      ['public', 'public', 'public'],
      'public everywhere',
    );
    t.deepEqual(
      [seen.catalog?.poster_uri, seen.creator?.poster_uri],
      [frames[2], frames[2]],
      'the picked frame is the poster',
    );

    await writeEvents(store, video, controls.visibilityChanged(video, 'unlisted'));
    await catchUp(store, db);
    seen = await rows(db, video);
    t.deepEqual(
      [seen.catalog?.visibility, seen.creator?.visibility, seen.admin?.visibility],
      ['unlisted', 'unlisted', 'unlisted'],
      'unlisted everywhere',
    );
  },
);

scopedTest('video visibility: a failed upload keeps when it failed, for the portal’s clean-up', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const video = newVideo();
  const written = await writeEvents(
    store,
    video,
    controls.accepted(video),
    controls.started(video),
    controls.failed(video, 'not a video'),
  );
  await catchUp(store, db);
  const seen = await rows(db, video);
  t.deepEqual(
    [seen.creator?.status, seen.creator?.failed_at],
    ['failed', written.at(-1)!.time],
    'failed, at the time of VideoPublishingFailed',
  );
});

scopedTest(
  'video deletions: a deleted video leaves every listing as a tombstone; late and replayed events cannot bring it back; its viewings stay counted',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const kept = { videoId: newVideo().videoId, ownerId: video.ownerId };
    await writeEvents(
      store,
      video,
      controls.accepted(video),
      controls.published(video),
      controls.named(video, 'Soon gone'),
      controls.described(video, 'About it'),
    );
    await writeEvents(store, kept, controls.accepted(kept), controls.published(kept));
    await writeViewings(store, video, 3);
    await catchUp(store, db);
    t.equal(await videosCounted(db, video), 2, 'two videos on their owner’s admin row');
    const watchedBefore = await watched(db);

    await writeEvents(store, video, controls.deleted(video));
    await catchUp(store, db);
    const tombstone = {
      catalog: {
        status: 'deleted',
        visibility: 'public',
        name: null,
        description: '',
        transcoded_uri: null,
        poster_uri: null,
        views: '3',
      },
      creator: {
        status: 'deleted',
        visibility: 'public',
        name: null,
        description: '',
        poster_uri: null,
        poster_candidate_uris: [],
        failure_reason: null,
        failed_at: null,
      },
      admin: { status: 'deleted', visibility: 'public', name: null },
    };
    t.deepEqual(await rows(db, video), tombstone, 'a tombstone in each: nothing left to show, its views kept');
    t.equal(await videosCounted(db, video), 1, 'out of its owner’s count');
    t.equal(await watched(db), watchedBefore, 'the site-wide count keeps its viewings');

    // Events written after the deletion (a transcode that ended late, a rename that raced it).
    await writeEvents(
      store,
      video,
      controls.published(video),
      controls.named(video, 'Back again?'),
      controls.visibilityChanged(video, 'unlisted'),
    );
    await writeViewings(store, video, 1);
    await catchUp(store, db);
    t.deepEqual(
      await rows(db, video),
      { ...tombstone, catalog: { ...tombstone.catalog, views: '4' } },
      'late events change nothing but the count of views',
    );
    t.equal(await videosCounted(db, video), 1, 'counted out once');

    await db('subscriber_positions').del();
    await catchUp(store, db);
    t.deepEqual(
      await rows(db, video),
      { ...tombstone, catalog: { ...tombstone.catalog, views: '4' } },
      'replayed from the start: the same tombstones',
    );
    t.equal(await videosCounted(db, video), 1, 'and still counted out once');
    t.equal((await rows(db, kept)).catalog?.status, 'published', 'the owner’s other video untouched');
  },
);
