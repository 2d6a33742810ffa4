import type { Knex } from 'knex';
import { similarVideos } from '../search/similar-videos.ts';
import { cardVideo, type CardRow, type CardVideo } from './card-video.ts';
import { preparedRaw } from '../../db/prepared-statement.ts';
import { CREATOR_LABEL_SQL } from './creator-label.ts';

/** How many the watch page lists, and how many of them at most come first from the same creator. */
const UP_NEXT = 8;
const FIRST_FROM_CREATOR = 4;

/**
 * The creator's other public videos, newest first: one index range of `videos_channel` (owner_id,
 * published_at DESC, video_id DESC, partial on published public rows), read for `limit` rows.
 * One text for every video: a prepared statement (db/prepared-statement.ts).
 */
const OTHERS_BY_CREATOR_SQL = `SELECT v.video_id, v.name, ${CREATOR_LABEL_SQL}, v.duration_seconds, v.poster_uri
  FROM videos v LEFT JOIN user_profiles p ON p.user_id = v.owner_id
  WHERE v.owner_id = ?::uuid AND v.status = 'published' AND v.visibility = 'public' AND v.published_at IS NOT NULL
    AND v.video_id <> ?::uuid
  ORDER BY v.published_at DESC, v.video_id DESC
  LIMIT ?`;

async function othersByCreator(db: Knex, ownerId: string, videoId: string, limit: number): Promise<CardVideo[]> {
  const rows = await preparedRaw<CardRow>(db, OTHERS_BY_CREATOR_SQL, [ownerId, videoId, limit]);
  return rows.map(cardVideo);
}

/**
 * What to watch after `video`, at most `limit`: up to four more from its creator (newest first),
 * then videos like it by its title's words (the search read model), then the creator's others
 * again if those run short. Public listed videos only, whatever the watched one's visibility;
 * never the watched video, never one twice. Two queries, a third when titles leave the list short.
 */
export async function upNext(
  db: Knex,
  video: { readonly videoId: string; readonly ownerId: string | null },
  limit = UP_NEXT,
): Promise<CardVideo[]> {
  const [byCreator, similar] = await Promise.all([
    video.ownerId === null ? [] : othersByCreator(db, video.ownerId, video.videoId, limit),
    // As many as the list holds: those the creator's list has already are left out below.
    similarVideos(db, video.videoId, limit),
  ]);
  const first = byCreator.slice(0, FIRST_FROM_CREATOR);
  const seen = new Set(first.map((next) => next.videoId));
  const list = [...first];
  for (const next of [...similar, ...byCreator.slice(FIRST_FROM_CREATOR)]) {
    if (list.length >= limit) break;
    if (seen.has(next.videoId)) continue;
    seen.add(next.videoId);
    list.push(next);
  }
  return list;
}
