import { randomUUID } from 'node:crypto';
import { migrationSource } from '../../migrations/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// Issue 18's migrations, down and up again on rows of every visibility.

scopedTest(
  'video visibility migrations: down() leaves no unlisted or draft video listed by the code before it; up() again makes them drafts',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const ownerId = randomUUID();
    const ids = { public: randomUUID(), unlisted: randomUUID(), draft: randomUUID() };
    for (const [visibility, videoId] of Object.entries(ids)) {
      await db('videos').insert({
        video_id: videoId,
        owner_id: ownerId,
        status: 'published',
        visibility,
        published_at: new Date(),
      });
      await db('creators_videos').insert({
        video_id: videoId,
        owner_id: ownerId,
        status: 'published',
        visibility,
        uploaded_at: new Date(),
      });
      await db('admin_user_videos').insert({
        video_id: videoId,
        user_id: ownerId,
        status: 'published',
        visibility,
        accepted_at: new Date(),
        global_position: 1,
        last_position: 1,
      });
    }
    for (const name of [
      '20261208100020_video_operations_per_kind',
      '20261208100002_video_visibility_listings',
      '20261208100001_video_visibility',
    ]) {
      await db.migrate.down({ migrationSource, name });
    }
    for (const table of ['videos', 'creators_videos', 'admin_user_videos']) {
      const statuses = Object.fromEntries(
        (
          await db(table)
            .whereIn('video_id', Object.values(ids))
            .select<{ video_id: string; status: string }[]>('video_id', 'status')
        ).map((row) => [row.video_id, row.status]),
      );
      t.deepEqual(
        [statuses[ids.public], statuses[ids.unlisted], statuses[ids.draft]],
        ['published', 'unpublished', 'unpublished'],
        `${table}: only the public video stays published (listed) without visibility`,
      );
    }
    await db.migrate.latest({ migrationSource });
    const back = await db('videos')
      .whereIn('video_id', [ids.unlisted, ids.draft])
      .select<{ status: string; visibility: string }[]>('status', 'visibility');
    t.deepEqual(
      back.map((row) => [row.status, row.visibility]),
      [
        ['published', 'draft'],
        ['published', 'draft'],
      ],
      'up again: converted drafts, never wider than they were',
    );
  },
);
