import { randomUUID } from 'node:crypto';
import test from 'tape';
import { videosProjection } from '../../src/aggregators/admin-users/videos.ts';
import { createUsersQueries } from '../../src/app/admin/users/queries.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import type { Message, RawMessage } from '../../src/message-store/index.ts';
import { controls, type TestVideo } from '../fixtures/catalog-events.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('admin users: the videos still up are counted as the erasure lists them, by their status, in batches cut any way', async (t) => {
  const { databaseUrl } = await freshDatabases();
  const db = createAppDatabase(databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const queries = createUsersQueries(db);
  let position = 0;
  const recorded = (video: TestVideo, message: Message): RawMessage => {
    position += 1;
    return {
      ...message,
      streamName: videoPublishingStreamName(video.videoId),
      position,
      globalPosition: position,
      time: new Date(),
    };
  };
  /** A video of `userId` taken through `steps` after its acceptance. */
  const history = (userId: string, ...steps: Array<(video: TestVideo) => Message>) => {
    const video = { videoId: randomUUID(), ownerId: userId };
    return [controls.accepted(video), ...steps.map((step) => step(video))].map((message) => recorded(video, message));
  };
  const apply = async (messages: readonly RawMessage[]) => {
    const batch = await db.transaction(async (trx) =>
      Promise.all(messages.map(async (message) => (await videosProjection.parse(message, trx))!)),
    );
    await db.transaction((trx) => videosProjection.apply(batch, trx));
  };

  for (const [label, cut] of [
    ['one batch', (all: RawMessage[]) => [all]],
    ['a message a batch', (all: RawMessage[]) => all.map((message) => [message])],
  ] as const) {
    const [userId, someoneElse] = [randomUUID(), randomUUID()];
    const all = [
      ...history(userId), // uploaded
      ...history(userId, controls.started), // converting
      ...history(userId, controls.published), // published
      ...history(userId, (video) => controls.failed(video, 'unreadable')),
      ...history(userId, controls.published, (video) => controls.takenDown(video, 'spam')),
      ...history(userId, controls.published, controls.deleted),
      ...history(someoneElse, controls.published),
    ];
    for (const messages of cut(all)) await apply(messages);
    const listed = await queries.videosStillUp(userId);
    t.deepEqual(
      listed.map((video) => video.status),
      ['uploaded', 'transcoding', 'published'],
      `${label}: uploaded, converting and published ones are still up; failed, taken down and deleted ones are not`,
    );
    t.equal((await queries.user(userId))?.videosStillUp, listed.length, `${label}: and the user page counts the same`);
    await apply(all);
    t.equal((await queries.user(userId))?.videosStillUp, listed.length, `${label}: applied again, the same count`);
  }
});
