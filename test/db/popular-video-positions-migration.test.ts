import { randomUUID } from 'node:crypto';
import { migrationSource } from '../../migrations/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// The migration that gives popular-videos one guard row per video, on a database whose week
// rows still carry the guard: each video's guard is the largest position over its weeks.

scopedTest(
  'popular video positions migration: up takes each video’s guard from its week rows; down puts it back on them',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    await db.migrate.down({ migrationSource, name: '20261211200000_popular_video_positions' });
    const [one, other] = [randomUUID(), randomUUID()];
    await db('video_weekly_views').insert([
      { video_id: one, week_ending: '2026-12-01', views: 2, position: 40 },
      { video_id: one, week_ending: '2026-12-02', views: 3, position: 75 },
      { video_id: other, week_ending: '2026-12-02', views: 1, position: 12 },
    ]);
    await db.migrate.latest({ migrationSource });
    t.deepEqual(
      (await db('popular_video_positions').orderBy('position').select('video_id', 'position')).map(
        (row: { video_id: string; position: string }) => [row.video_id, Number(row.position)],
      ),
      [
        [other, 12],
        [one, 75],
      ],
      'up: one guard a video, the largest of its weeks',
    );
    t.notOk(await db.schema.hasColumn('video_weekly_views', 'position'), 'and the week rows hold only counts');
    await db.migrate.down({ migrationSource, name: '20261211200000_popular_video_positions' });
    t.deepEqual(
      (await db('video_weekly_views').where({ video_id: one }).orderBy('week_ending').pluck('position')).map(Number),
      [75, 75],
      'down: each week row carries its video’s guard again',
    );
    await db.migrate.latest({ migrationSource });
  },
);
