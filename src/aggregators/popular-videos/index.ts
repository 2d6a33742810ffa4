import type { Knex } from 'knex';
import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import type { ProjectionDefinition, ProjectionSettings } from '../definition.ts';
import { parseViewingInItsStream, type Viewing } from '../viewing-counts/parse.ts';
import { countUnappliedViewings } from '../viewing-counts/guarded.ts';

/** Renaming it replays the viewing category: safe (each video's rows are guarded) but slow. */
export const POPULAR_VIDEOS_SUBSCRIBER_ID = 'aggregators:popular-videos';

/** How many UTC days a week is: the day a ranking is read and the six before it. */
const WEEK_DAYS = 7;

/** The UTC day a viewing falls on, by the store's time (the counting rule's clock): 'YYYY-MM-DD'. */
const utcDay = (time: Date): string => time.toISOString().slice(0, 10);

/** Each video's guard: the last viewing of its stream its week rows have taken in. */
async function guards(trx: Knex.Transaction, videoIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await trx.raw<{ rows: Array<{ video_id: string; position: string }> }>(
    'SELECT video_id, position FROM popular_video_positions WHERE video_id = ANY(?::uuid[])',
    [[...new Set(videoIds)]],
  );
  return new Map(rows.rows.map((row) => [row.video_id, Number(row.position)]));
}

/**
 * Counts a batch of viewings by the counting rule (countViewings, with the windows in
 * popular_video_viewers) into the seven weeks each falls in: a viewing on day D is in the weeks
 * ending D, D+1 … D+6. So the week ending today is one row per video, and the ranking reads it in
 * index order instead of summing seven days at every page view. One upsert per batch. Each video
 * takes only the viewings past its guard (its row in popular_video_positions), which the batch
 * then moves to the last one taken. So a viewing delivered again, in any batch, counts once
 * and moves no window: the same guard as videos/views.ts, per video rather than per row, because
 * one video's stream orders all its rows. It holds under a consumer group (a video's stream is
 * read by one member) and when an operator moves the position back without clearing the rows.
 * Rows are written in (video, week) order, so two batches never deadlock.
 */
function popularVideosProjection({ viewingCountWindowMs }: ProjectionSettings): BatchProjection<Viewing> {
  return {
    parse: parseViewingInItsStream,
    async apply(viewings, trx) {
      const taken = await countUnappliedViewings(trx, viewings, {
        appliedPositions: guards,
        windows: 'popular_video_viewers',
        windowMs: viewingCountWindowMs,
      });
      if (!taken) return;
      const { fresh, counted } = taken;
      const videoIds = fresh.map((viewing) => viewing.data.videoId.toLowerCase());
      await trx.raw(
        `INSERT INTO video_weekly_views AS week (video_id, week_ending, views)
         SELECT viewing.video_id, viewing.day + later.days, count(*) FILTER (WHERE viewing.counted)
           FROM unnest(?::uuid[], ?::date[], ?::boolean[]) AS viewing (video_id, day, counted)
          CROSS JOIN generate_series(0, ?::int - 1) AS later (days)
          GROUP BY 1, 2
          ORDER BY 1, 2
         ON CONFLICT (video_id, week_ending) DO UPDATE SET views = week.views + excluded.views`,
        [videoIds, fresh.map((viewing) => utcDay(viewing.time)), counted, WEEK_DAYS],
      );
      // Every viewing taken is past its video's guard, so the batch's last is the new guard.
      await trx.raw(
        `INSERT INTO popular_video_positions (video_id, position)
         SELECT video_id, max(global_position) FROM unnest(?::uuid[], ?::bigint[]) AS viewing (video_id, global_position)
          GROUP BY 1
          ORDER BY 1
         ON CONFLICT (video_id) DO UPDATE SET position = excluded.position`,
        [videoIds, fresh.map((viewing) => viewing.globalPosition)],
      );
    },
  };
}

/**
 * Keeps "Most watched this week" from the viewing category: per video and week (seven UTC days),
 * how many viewings counted by the rule every count follows (one per visitor and video per
 * window, src/aggregators/viewing-counts). The home page reads the week ending today, joined to
 * the catalog for what may be listed (src/app/home/popular.ts): the window slides with the clock
 * (a new day reads another row), not with events, so nothing here expires a row.
 */
export const popularVideosDefinition = {
  name: 'popular-videos',
  background: true,
  tables: ['video_weekly_views', 'popular_video_positions', 'popular_video_viewers'],
  parts: [
    { subscriberId: POPULAR_VIDEOS_SUBSCRIBER_ID, category: VIEWING_CATEGORY, projection: popularVideosProjection },
  ],
} as const satisfies ProjectionDefinition;
