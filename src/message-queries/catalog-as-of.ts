import type pg from 'pg';
import { VIEWING_CATEGORY } from '../contracts/viewing.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../contracts/video-publishing.ts';
import type { Point } from '../as-of/point.ts';

export interface CatalogCounts {
  /** Videos whose last publish, unpublish or take-down up to the point was a publish. */
  readonly publishedVideos: number;
  /** Every VideoViewed up to the point. */
  readonly views: number;
}

/** The SQL condition for "up to the point" on the messages table, and its parameter. */
function upTo(point: Point): { readonly condition: string; readonly value: number | Date } {
  return point.kind === 'position'
    ? { condition: 'global_position <= $2', value: point.globalPosition }
    : { condition: 'time <= $2', value: point.time };
}

/**
 * The catalog's counts as the log stood at a point, read straight from the store by category
 * (its index), so no projection is needed for a past date. They count what the log holds: a
 * message an aggregator skipped as broken is counted here, so today's counts may exceed the
 * site's by the skipped ones (the subscribers page lists them).
 */
export async function catalogCountsAsOf(pool: pg.Pool, point: Point): Promise<CatalogCounts> {
  const { condition, value } = upTo(point);
  // Message DB stores time as UTC without a zone; compare in UTC whatever the session's zone is.
  const time = value instanceof Date ? value.toISOString().replace('Z', '') : value;
  const [published, views] = await Promise.all([
    pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM (
         SELECT DISTINCT ON (stream_name) type FROM messages
          WHERE category(stream_name) = $1 AND type IN ('VideoPublished', 'VideoUnpublished', 'VideoTakenDown') AND ${condition}
          ORDER BY stream_name, global_position DESC
       ) latest WHERE type = 'VideoPublished'`,
      [VIDEO_PUBLISHING_CATEGORY, time],
    ),
    pool.query<{ count: string }>(
      `SELECT count(*) AS count FROM messages WHERE category(stream_name) = $1 AND type = 'VideoViewed' AND ${condition}`,
      [VIEWING_CATEGORY, time],
    ),
  ]);
  return { publishedVideos: Number(published.rows[0]?.count ?? 0), views: Number(views.rows[0]?.count ?? 0) };
}
