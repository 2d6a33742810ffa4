import { randomUUID } from 'node:crypto';
import test from 'tape';
import { createUsersQueries } from '../../src/app/admin/users/queries.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('admin users: the videos still up are counted as the erasure lists them, by their status', async (t) => {
  const { databaseUrl } = await freshDatabases();
  const db = createAppDatabase(databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const [userId, someoneElse] = [randomUUID(), randomUUID()];
  const statuses = ['uploaded', 'transcoding', 'published', 'failed', 'takenDown', 'deleted'];
  await db('admin_user_videos').insert(
    [...statuses.map((status) => ({ status, user_id: userId })), { status: 'published', user_id: someoneElse }].map(
      ({ status, user_id }, index) => ({
        video_id: randomUUID(),
        user_id,
        status,
        visibility: 'public',
        accepted_at: new Date(),
        global_position: index + 1,
        last_position: index + 1,
      }),
    ),
  );
  const queries = createUsersQueries(db);
  const listed = await queries.videosStillUp(userId);
  t.deepEqual(
    listed.map((video) => video.status),
    ['uploaded', 'transcoding', 'published'],
    'uploaded, converting and published ones are still up; failed, taken down and deleted ones are not',
  );
  t.equal(await queries.countVideosStillUp(userId), listed.length, 'and the user page counts the same');
});
