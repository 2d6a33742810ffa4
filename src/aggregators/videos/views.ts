import { viewingSchemas, viewingStreamName, type ViewingEvent } from '../../app/record-viewings/contract.ts';
import { MessageDataError, parseMessage, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

type Viewing = Recorded<ViewingEvent>;

/** The guard (views_position) compares positions along one stream, so a viewing must be in its video's. */
function parseViewing(message: RawMessage): Viewing | undefined {
  const viewing = parseMessage(viewingSchemas, message);
  if (viewing && viewing.streamName !== viewingStreamName(viewing.data.videoId)) {
    throw new MessageDataError(viewing.id, viewing.type, `written to ${viewing.streamName}, not its video's stream`);
  }
  return viewing;
}

/**
 * Counts a batch of viewings in one statement: grouped by video, each group counts only the
 * viewings past the row's views_position and moves it to the last. So a replay over existing
 * rows counts nothing twice, even when its batches are cut differently from the first run's.
 * The filter reads the rows before the upsert locks them; that is safe because only this
 * subscriber writes views_position, and two copies of one member take turns (the position lock).
 * A viewing that comes before the video's publishing events makes the row, with only the views
 * columns set; the catalog subscriber fills in the rest and leaves these alone. Rows are locked
 * in video id order, as the catalog subscriber locks them, so the two never deadlock.
 */
export const viewsProjection: BatchProjection<Viewing> = {
  parse: parseViewing,
  async apply(viewings, trx) {
    const videoIds = viewings.map((viewing) => viewing.data.videoId.toLowerCase());
    const positions = viewings.map((viewing) => viewing.globalPosition);
    await trx.raw(
      `INSERT INTO videos AS counted (video_id, views, views_position)
       SELECT viewing.video_id, count(*), max(viewing.global_position)
         FROM unnest(?::uuid[], ?::bigint[]) AS viewing (video_id, global_position)
         LEFT JOIN videos AS existing ON existing.video_id = viewing.video_id
        WHERE existing.views_position IS NULL OR viewing.global_position > existing.views_position
        GROUP BY viewing.video_id
        ORDER BY viewing.video_id
       ON CONFLICT (video_id) DO UPDATE
          SET views = counted.views + excluded.views, views_position = excluded.views_position`,
      [videoIds, positions],
    );
  },
};
