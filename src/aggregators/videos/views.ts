import type { Knex } from 'knex';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { parseViewingInItsStream, type Viewing } from '../viewing-counts/parse.ts';
import { countUnappliedViewings } from '../viewing-counts/guarded.ts';
import { moveChannelViews, onChannel } from './channel-views.ts';

/** Each video's views_position: the last viewing its count has taken in. */
async function guards(trx: Knex.Transaction, videoIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await trx('videos')
    .whereIn('video_id', [...new Set(videoIds)])
    .whereNotNull('views_position')
    .select<Array<{ video_id: string; views_position: string }>>('video_id', 'views_position');
  return new Map(rows.map((row) => [row.video_id, Number(row.views_position)]));
}

/**
 * Counts a batch of viewings by the counting rule (one per visitor and video per window, the
 * windows in video_viewers), in one upsert per batch: grouped by video, each group takes only the
 * viewings past the row's views_position and moves it to the last. So a replay over existing rows
 * counts nothing twice and moves no window, even when its batches are cut differently from the
 * first run's. The guard is read before the upsert locks the rows; that is safe because only this
 * subscriber writes views_position and the windows, and two copies of one member take turns (the
 * position lock). A viewing that comes before the video's publishing events makes the row, with
 * only the views columns set; the catalog subscriber fills in the rest and leaves these alone.
 * Rows are locked in video id order, as the catalog subscriber locks them, so the two never
 * deadlock.
 */
export function viewsProjection(viewingCountWindowMs: number): BatchProjection<Viewing> {
  return {
    parse: parseViewingInItsStream,
    async apply(viewings, trx) {
      const taken = await countUnappliedViewings(trx, viewings, {
        appliedPositions: guards,
        windows: 'video_viewers',
        windowMs: viewingCountWindowMs,
      });
      if (!taken) return;
      const { fresh, counted } = taken;
      // The increments of the rows on a channel then (as this statement's locks hold them) move
      // their creators' totals; the catalog moves a row's whole count when it comes on or goes off.
      const written = await trx.raw<{ rows: Array<{ owner_id: string; views: string }> }>(
        `WITH batch AS (
           SELECT viewing.video_id, count(*) FILTER (WHERE viewing.counted) AS views, max(viewing.global_position) AS views_position
             FROM unnest(?::uuid[], ?::bigint[], ?::boolean[]) AS viewing (video_id, global_position, counted)
            GROUP BY viewing.video_id
         ),
         written AS (
           INSERT INTO videos AS counted (video_id, views, views_position)
           SELECT video_id, views, views_position FROM batch ORDER BY video_id
           ON CONFLICT (video_id) DO UPDATE
              SET views = counted.views + excluded.views, views_position = excluded.views_position
           RETURNING counted.video_id, counted.owner_id, counted.status, counted.visibility
         )
         SELECT written.owner_id, sum(batch.views)::text AS views
           FROM written JOIN batch USING (video_id)
          WHERE ${onChannel('written')}
          GROUP BY written.owner_id`,
        [
          fresh.map((viewing) => viewing.data.videoId.toLowerCase()),
          fresh.map((viewing) => viewing.globalPosition),
          counted,
        ],
      );
      await moveChannelViews(trx, new Map(written.rows.map((row) => [row.owner_id, Number(row.views)])));
    },
  };
}
