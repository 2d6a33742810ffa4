import type { Knex } from 'knex';
import type pg from 'pg';

/** Writes `count` VideoViewed events in one statement (fast fixtures for catch-up tests). */
export async function writeViewings(pool: pg.Pool, count: number): Promise<void> {
  await pool.query(
    `SELECT write_message(gen_random_uuid()::text, 'viewing-' || video_id, 'VideoViewed',
                          jsonb_build_object('videoId', video_id, 'userId', NULL), '{}'::jsonb)
       FROM (SELECT gen_random_uuid()::text AS video_id FROM generate_series(1, $1)) AS videos`,
    [count],
  );
}

export async function videosWatched(db: Knex): Promise<number> {
  const row = await db('home_page').where({ page_name: 'home' }).first<{ videos_watched: string }>('videos_watched');
  return Number(row?.videos_watched ?? 0);
}
