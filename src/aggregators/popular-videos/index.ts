import type { Knex } from 'knex';
import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import type { ProjectionDefinition, ProjectionSettings } from '../definition.ts';
import { parseViewingInItsStream, type Viewing } from '../viewing-counts/parse.ts';
import { countViewings } from '../viewing-counts/windows.ts';

/** Renaming it replays the viewing category: safe (each video's rows are guarded) but slow. */
export const POPULAR_VIDEOS_SUBSCRIBER_ID = 'aggregators:popular-videos';

/** The UTC day a viewing falls on, by the store's time (the counting rule's clock): 'YYYY-MM-DD'. */
const utcDay = (time: Date): string => time.toISOString().slice(0, 10);

/** Each video's guard: the last viewing of its stream taken in (the largest position over its days). */
async function guards(trx: Knex.Transaction, videoIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await trx.raw<{ rows: Array<{ video_id: string; position: string }> }>(
    'SELECT video_id, max(position) AS position FROM video_daily_views WHERE video_id = ANY(?::uuid[]) GROUP BY video_id',
    [[...new Set(videoIds)]],
  );
  return new Map(rows.rows.map((row) => [row.video_id, Number(row.position)]));
}

/**
 * Counts a batch of viewings by the counting rule (countViewings, with the windows in
 * popular_video_viewers) into one row per video and UTC day, in one upsert per batch. Each video
 * takes only the viewings past its guard, the largest position on its rows; the upsert moves the
 * day's position to the last one taken. So a viewing delivered again, in any batch, counts once
 * and moves no window: the same guard as videos/views.ts, per video rather than per row, because
 * the rows are per day and one video's stream orders them all. It holds under a consumer group
 * (a video's stream is read by one member) and when an operator moves the position back without
 * clearing the rows. Rows are written in (video, day) order, so two batches never deadlock.
 */
function popularVideosProjection({ viewingCountWindowMs }: ProjectionSettings): BatchProjection<Viewing> {
  return {
    parse: parseViewingInItsStream,
    async apply(viewings, trx) {
      const applied = await guards(
        trx,
        viewings.map((viewing) => viewing.data.videoId.toLowerCase()),
      );
      const fresh = viewings.filter((viewing) => viewing.globalPosition > (applied.get(viewing.data.videoId.toLowerCase()) ?? 0));
      if (fresh.length === 0) return;
      const counted = await countViewings(
        trx,
        'popular_video_viewers',
        fresh.map((viewing) => ({ ...viewing.data, time: viewing.time })),
        viewingCountWindowMs,
      );
      await trx.raw(
        `INSERT INTO video_daily_views AS daily (video_id, day, views, position)
         SELECT viewing.video_id, viewing.day, count(*) FILTER (WHERE viewing.counted), max(viewing.global_position)
           FROM unnest(?::uuid[], ?::date[], ?::bigint[], ?::boolean[]) AS viewing (video_id, day, global_position, counted)
          GROUP BY viewing.video_id, viewing.day
          ORDER BY viewing.video_id, viewing.day
         ON CONFLICT (video_id, day) DO UPDATE
            SET views = daily.views + excluded.views, position = greatest(daily.position, excluded.position)`,
        [
          fresh.map((viewing) => viewing.data.videoId.toLowerCase()),
          fresh.map((viewing) => utcDay(viewing.time)),
          fresh.map((viewing) => viewing.globalPosition),
          counted,
        ],
      );
    },
  };
}

/**
 * Keeps "Most watched this week" from the viewing category: per video and UTC day, how many
 * viewings counted by the rule every count follows (one per visitor and video per window,
 * src/aggregators/viewing-counts). The home page sums a week of days and joins the catalog for
 * what may be listed (src/app/home/popular.ts); the window slides with the clock, not with events,
 * so nothing here ever expires a row.
 */
export const popularVideosDefinition = {
  name: 'popular-videos',
  tables: ['video_daily_views', 'popular_video_viewers'],
  parts: [{ subscriberId: POPULAR_VIDEOS_SUBSCRIBER_ID, category: VIEWING_CATEGORY, projection: popularVideosProjection }],
} as const satisfies ProjectionDefinition;
