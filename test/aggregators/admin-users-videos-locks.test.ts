import { randomUUID } from 'node:crypto';
import test from 'tape';
import { videosProjection } from '../../src/aggregators/admin-users/videos.ts';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

// Found catching up a ten-million-message store: this projection locked the owners' admin_users
// rows with its batch's first statement and held them through the rest, while the viewings'
// subscriber waited on the same rows for most of its time.
test('admin-users videos: a batch moves its owners’ counts in its last statement, once however often it is applied', async (t) => {
  const { databaseUrl } = await freshDatabases();
  const db = createAppDatabase(databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const owner = randomUUID();
  const [kept, gone] = [randomUUID(), randomUUID()];
  let position = 0;
  const event = (videoId: string, type: string, data: Record<string, unknown>): RawMessage => {
    position += 1;
    return {
      id: randomUUID(),
      type,
      data: { videoId, ...data },
      metadata: { traceId: randomUUID(), userId: owner },
      streamName: videoPublishingStreamName(videoId),
      position,
      globalPosition: position,
      time: new Date(),
    };
  };
  const accepted = (videoId: string) =>
    event(videoId, 'VideoPublishingAccepted', {
      ownerId: owner,
      sourceUri: uriOfKey(videoKeys.source(videoId)),
      visibility: 'public',
    });
  const raw = [
    accepted(kept),
    event(kept, 'VideoTranscodingStarted', {}),
    event(kept, 'VideoNamed', { name: 'Kept' }),
    accepted(gone),
    event(gone, 'VideoNamed', { name: 'Gone' }),
    event(gone, 'VideoDeleted', { ownerId: owner }),
  ];
  // This projection's parse reads nothing: the transaction it may use is never touched.
  const batch = await db.transaction(async (trx) =>
    Promise.all(raw.map(async (message) => (await videosProjection.parse(message, trx))!)),
  );

  const statements: string[] = [];
  const listener = (query: { sql: string }) => {
    if (!/^\s*(BEGIN|COMMIT)/i.test(query.sql)) statements.push(query.sql);
  };
  db.on('query', listener);
  await db.transaction((trx) => videosProjection.apply(batch, trx));
  db.removeListener('query', listener);
  const writesOfOwners = statements
    .map((sql, index) => ({ index, touches: /\badmin_users\b/.test(sql) }))
    .filter((statement) => statement.touches);
  t.deepEqual(
    writesOfOwners.map((statement) => statement.index),
    [statements.length - 1],
    `admin_users is touched by the last of ${statements.length} statements only`,
  );

  const state = async () => ({
    videos: await db('admin_user_videos').orderBy('name').select('video_id', 'name', 'status'),
    count: Number((await db('admin_users').where({ user_id: owner }).first('videos'))?.videos),
  });
  const expected = {
    videos: [
      { video_id: kept, name: 'Kept', status: 'transcoding' },
      { video_id: gone, name: null, status: 'deleted' },
    ],
    count: 1,
  };
  t.deepEqual(await state(), expected, 'one video counted, the deleted one a tombstone out of the count');
  await db.transaction((trx) => videosProjection.apply(batch, trx));
  t.deepEqual(await state(), expected, 'the same batch again changes nothing');
});
