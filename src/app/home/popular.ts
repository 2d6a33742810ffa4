import type { Knex } from 'knex';
import type { RankingPosition } from './cursor.ts';
import { cardVideo, type CardRow, type CardVideo } from '../videos/card-video.ts';
import { CREATOR_LABEL_SQL } from '../videos/creator-label.ts';

/** A listed video and how many of its viewings counted this week. */
export interface RankedVideo extends CardVideo {
  readonly weekViews: number;
  readonly position: RankingPosition;
}

export interface RankingPage {
  readonly videos: readonly RankedVideo[];
  readonly next: RankingPosition | undefined;
}

interface RankingRow extends CardRow {
  week_views: string;
}

/**
 * "Most watched this week" at `now`: public, published videos (not taken down, not deleted) by
 * their viewings counted in the week ending on `now`'s UTC day (that day and the six before it, so
 * between 6 and 7 × 24 hours back), most first, ties by video id; keyset-paged after `after`. One
 * query: the week's rows of video_weekly_views in the order of their index
 * (video_weekly_views_ranking), each joined to its catalog row for what may be listed, stopping
 * at a page's worth (docs/architecture.md, "Most watched this week"). Between pages the counts
 * may move (a viewing, a new day): a page starts after the last one seen, so a video that moved
 * past it may be missed or shown twice, never an error.
 */
export async function mostWatchedPage(
  db: Knex,
  pageSize: number,
  { now, after }: { readonly now: Date; readonly after?: RankingPosition | undefined },
): Promise<RankingPage> {
  const keyset = after ? 'AND (w.views, w.video_id) < (?::bigint, ?::uuid)' : '';
  const result = await db.raw<{ rows: RankingRow[] }>(
    `SELECT v.video_id, v.name, ${CREATOR_LABEL_SQL}, v.duration_seconds, v.poster_uri, w.views::text AS week_views
       FROM video_weekly_views AS w
       JOIN videos AS v ON v.video_id = w.video_id
       LEFT JOIN user_profiles AS p ON p.user_id = v.owner_id
      WHERE w.week_ending = (?::timestamptz AT TIME ZONE 'UTC')::date AND w.views > 0 ${keyset}
        AND v.status = 'published' AND v.visibility = 'public' AND v.published_at IS NOT NULL
      ORDER BY w.views DESC, w.video_id DESC
      LIMIT ?`,
    [now.toISOString(), ...(after ? [after.weekViews, after.videoId] : []), pageSize + 1],
  );
  const videos = result.rows.slice(0, pageSize).map((row): RankedVideo => ({
    ...cardVideo(row),
    weekViews: Number(row.week_views),
    position: { weekViews: row.week_views, videoId: row.video_id },
  }));
  return { videos, next: result.rows.length > pageSize ? videos.at(-1)?.position : undefined };
}
