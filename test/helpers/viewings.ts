import { randomUUID } from 'node:crypto';
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

/**
 * A video in the catalog projection as the videos aggregator keeps it, which is what the
 * record-viewing route checks: published by default. Returns its id.
 */
export async function catalogVideo(
  db: Knex,
  {
    videoId = randomUUID(),
    status = 'published',
    visibility = 'public',
  }: {
    videoId?: string;
    status?: 'published' | 'unpublished' | 'deleted';
    visibility?: 'draft' | 'unlisted' | 'public';
  } = {},
): Promise<string> {
  await db('videos').insert({
    video_id: videoId,
    owner_id: randomUUID(),
    name: 'A video to watch',
    status,
    visibility,
    transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
    poster_uri: `video-store:posters/${videoId}.jpg`,
    duration_seconds: 10,
    width: 640,
    height: 360,
    published_at: new Date(),
  });
  return videoId;
}

/** The newest viewing's global position: the projections have counted every viewing once they are there. */
export async function lastViewingPosition(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ head: string | null }>(
    `SELECT max(global_position) AS head FROM messages WHERE category(stream_name) = 'viewing'`,
  );
  return Number(result.rows[0]?.head ?? 0);
}

/** Whether each of `subscriberIds` has applied every viewing in the store. */
export async function viewingsApplied(db: Knex, pool: pg.Pool, subscriberIds: readonly string[]): Promise<boolean> {
  const head = await lastViewingPosition(pool);
  const rows = await db('subscriber_positions')
    .whereIn('subscriber_id', subscriberIds)
    .select<Array<{ subscriber_id: string; position: string }>>('subscriber_id', 'position');
  return subscriberIds.every((id) => rows.some((row) => row.subscriber_id === id && Number(row.position) >= head));
}
