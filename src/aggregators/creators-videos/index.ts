import type { Knex } from 'knex';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { batchColumns, setTouched, TOUCHED_CTE, touchedBindings, type TouchedRow } from '../videos/touched-columns.ts';
import { foldByVideo, parseCreatorEvent, type CreatorColumns, type CreatorEvent, type VideoChange } from './changes.ts';

export const CREATORS_VIDEOS_SUBSCRIBER_ID = 'aggregators:creators-videos';
export type { CreatorVideoStatus } from './changes.ts';

/** The columns of creators_videos the fold sets, with their SQL types. */
const CREATOR_COLUMN_TYPES = {
  owner_id: 'uuid',
  uploaded_at: 'timestamptz',
  name: 'text',
  description: 'text',
  status: 'text',
  progress: 'integer',
  failure_reason: 'text',
  take_down_reason: 'text',
  poster_uri: 'text',
  duration_seconds: 'float8',
  visibility: 'text',
  poster_candidate_uris: 'jsonb',
  failed_at: 'timestamptz',
} as const satisfies Record<keyof CreatorColumns, string>;

/** What a new row takes where no event of its batch set a column: the table's own defaults. */
const NEW_ROW_DEFAULTS = {
  description: `''`,
  progress: '0',
  visibility: `'public'`,
  poster_candidate_uris: `'[]'::jsonb`,
};

/** The fold's rows as touched-columns.ts writes them. */
const touchedRows = (changes: readonly VideoChange[]): TouchedRow[] =>
  changes.map(({ videoId, columns, position }) => ({ videoId, set: columns, position }));

/**
 * What the row has not seen yet (its last_position is below the change's), and never a deleted
 * video's tombstone: an event after the deletion (a transcode that ends later) or one of its old
 * events applied again must not bring the row back.
 */
const unseen = (incoming: string) =>
  `(cv.last_position IS NULL OR cv.last_position < ${incoming}) AND cv.status <> 'deleted'`;

/**
 * Two statements for the batch. Acceptance makes the row (it alone names the owner), so the
 * videos accepted in it are upserted; the others' rows are updated where they exist. Each
 * sets only the columns its video's events set (touched-columns.ts).
 */
async function writeChanges(trx: Knex.Transaction, changes: readonly VideoChange[]): Promise<void> {
  const { names, typed, inserted } = batchColumns(CREATOR_COLUMN_TYPES, NEW_ROW_DEFAULTS);
  const rows = (accepted: boolean) =>
    changes.filter(({ columns }) => (columns.owner_id !== undefined && columns.uploaded_at !== undefined) === accepted);
  const recordset = `jsonb_to_recordset(?::jsonb) AS c(video_id uuid, ${typed}, publishing_position bigint)`;
  const accepted = rows(true);
  if (accepted.length > 0)
    await trx.raw(
      `WITH ${TOUCHED_CTE}
       INSERT INTO creators_videos AS cv (video_id, ${names.join(', ')}, last_position)
       SELECT c.video_id, ${inserted}, c.publishing_position FROM ${recordset} ORDER BY c.video_id
       ON CONFLICT (video_id) DO UPDATE
          SET ${setTouched(names, 'cv')}, last_position = excluded.last_position
        WHERE ${unseen('excluded.last_position')}`,
      touchedBindings(touchedRows(accepted)),
    );
  const later = rows(false);
  if (later.length > 0)
    await trx.raw(
      `WITH ${TOUCHED_CTE}
       UPDATE creators_videos AS cv
          SET ${setTouched(names, 'cv', 'c')}, last_position = c.publishing_position
         FROM ${recordset}
        WHERE cv.video_id = c.video_id AND ${unseen('c.publishing_position')}`,
      touchedBindings(touchedRows(later)),
    );
}

const creatorsVideosProjection: BatchProjection<CreatorEvent> = {
  parse: parseCreatorEvent,
  async apply(events, trx) {
    await writeChanges(trx, foldByVideo(events));
  },
};

/**
 * Keeps creators_videos (each creator's own list: status, visibility, progress, failure reason
 * and time, poster and the frames to pick another from, name) from the video-publishing events, in two statements a batch. A video's events
 * share one stream, so they arrive in order, acceptance first; every write is still guarded by
 * the row's last_position, so a replay over existing rows changes nothing (see the videos
 * catalog for why writing a whole fold over a row that saw part of it is right). A deleted
 * video stays as a tombstone (status 'deleted', its text and poster cleared) that nothing changes.
 */
export const creatorsVideosDefinition = {
  name: 'creators-videos',
  tables: ['creators_videos'],
  parts: [
    {
      subscriberId: CREATORS_VIDEOS_SUBSCRIBER_ID,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => creatorsVideosProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
