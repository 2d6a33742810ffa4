import { liveSubscription, liveSubscriptions } from '../../src/aggregators/definition.ts';
import { adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { creatorsVideosDefinition } from '../../src/aggregators/creators-videos/index.ts';
import { videosDefinition } from '../../src/aggregators/videos/index.ts';
import type { Knex } from 'knex';
import type { MessageStore } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents, type TestVideo } from '../fixtures/catalog-events.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// VideoTakenDown as the three projections that show a video's state read it.

async function catchUp(store: MessageStore, db: Knex): Promise<void> {
  const deps = { db, messageStore: store, logger: silentLogger, subscription: { retry: FAST_RETRY } };
  const subscriptions = [
    ...liveSubscriptions(videosDefinition, deps),
    liveSubscription(creatorsVideosDefinition, deps),
    ...liveSubscriptions(adminUsersDefinition, deps),
  ];
  for (const subscription of subscriptions) await drain(subscription);
}

const statuses = async (db: Knex, { videoId }: TestVideo) => ({
  catalog: (await db('videos').where({ video_id: videoId }).first('status'))?.status,
  creator: await db('creators_videos').where({ video_id: videoId }).first('status', 'take_down_reason'),
  admin: (await db('admin_user_videos').where({ video_id: videoId }).first('status'))?.status,
});

scopedTest(
  'video take-downs: a published video taken down leaves the catalog; its creator sees why; the admin pages say so; a replay changes nothing',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const published = newVideo();
    const waiting = newVideo();
    await writeEvents(
      store,
      published,
      controls.accepted(published),
      controls.published(published),
      controls.named(published, 'Bought followers fast'),
    );
    await writeEvents(store, waiting, controls.accepted(waiting), controls.started(waiting));
    await catchUp(store, db);
    t.equal((await statuses(db, published)).catalog, 'published', 'in the catalog first');

    await writeEvents(store, published, controls.takenDown(published, 'Spam: links to a paid service'));
    await writeEvents(store, waiting, controls.takenDown(waiting, 'Uploaded by a spammer'));
    await catchUp(store, db);
    const expected = {
      published: {
        catalog: 'takenDown',
        creator: { status: 'takenDown', take_down_reason: 'Spam: links to a paid service' },
        admin: 'takenDown',
      },
      waiting: {
        catalog: 'takenDown',
        creator: { status: 'takenDown', take_down_reason: 'Uploaded by a spammer' },
        admin: 'takenDown',
      },
    };
    t.deepEqual(
      await statuses(db, published),
      expected.published,
      'published, then taken down: out of the catalog, the reason in the creator’s list',
    );
    t.deepEqual(
      await statuses(db, waiting),
      expected.waiting,
      'taken down while transcoding: never published, and known as taken down',
    );
    t.equal(
      (await db('videos').where({ status: 'published' }).whereIn('video_id', [published.videoId, waiting.videoId]))
        .length,
      0,
      'the catalog lists neither',
    );

    await db('subscriber_positions').del();
    await catchUp(store, db);
    t.deepEqual(
      [await statuses(db, published), await statuses(db, waiting)],
      [expected.published, expected.waiting],
      'replayed from the start: the same',
    );
  },
);
