import type { Knex } from 'knex';
import { moveChannelViews, onChannel } from './channel-views.ts';
import { batchColumns, setTouched, TOUCHED_CTE, touchedBindings } from './touched-columns.ts';
import {
  videoPublishingEventSchemas,
  videoPublishingStreamName,
  type VideoPublishingEvent,
  type Visibility,
} from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

const CATALOG_EVENTS = [
  'VideoPublishingAccepted',
  'VideoPublished',
  'VideoNamed',
  'VideoDescribed',
  'VideoUnpublished',
  'VideoVisibilityChanged',
  'VideoPosterChanged',
  'VideoTakenDown',
  'VideoDeleted',
] as const;
export type CatalogEvent = Recorded<Extract<VideoPublishingEvent, { type: (typeof CATALOG_EVENTS)[number] }>>;
// Only these are checked against the contract: a broken event of another type is none of ours to skip.
const catalogSchemas = Object.fromEntries(
  CATALOG_EVENTS.map((type) => [type, videoPublishingEventSchemas[type]]),
) as Pick<typeof videoPublishingEventSchemas, (typeof CATALOG_EVENTS)[number]>;

/** The columns of `videos` that publishing events own; views and views_position are never among them. */
export interface CatalogColumns {
  owner_id?: string;
  name?: string | null;
  description?: string;
  /**
   * 'published': converted, watchable as its visibility allows; null until then. The watch page
   * tells a taken-down or deleted video from a missing one. A deleted one is a tombstone no later
   * event changes. ('unpublished' only in rows from before visibility: the migration made them drafts.)
   */
  status?: 'published' | 'takenDown' | 'deleted';
  /** Only a published, public video is listed; an unlisted one is watched by its link; a draft by its creator. */
  visibility?: Visibility;
  transcoded_uri?: string | null;
  poster_uri?: string | null;
  duration_seconds?: number;
  width?: number;
  height?: number;
  /** When it was first listed: converted and public, both (see foldByVideo). Never moves after. */
  published_at?: Date;
}

/** What the row already holds of a video, as the fold starts from it. */
export interface RowState {
  readonly status: string | null;
  readonly visibility: string | null;
  readonly published_at: Date | null;
  readonly publishing_position: string | number | null;
}

/** What a deleted video's row keeps: its id, owner, time and views (its viewings stay counted); nothing to show. */
const TOMBSTONE: CatalogColumns = {
  status: 'deleted',
  name: null,
  description: '',
  transcoded_uri: null,
  poster_uri: null,
};

function columnsOf(event: CatalogEvent): CatalogColumns {
  switch (event.type) {
    // The visibility chosen at upload, known before the video is converted.
    case 'VideoPublishingAccepted':
      return { owner_id: event.data.ownerId, visibility: event.data.visibility };
    case 'VideoPublished': {
      const { ownerId, transcodedUri, posterUri, durationSeconds, width, height } = event.data;
      return {
        owner_id: ownerId,
        status: 'published',
        transcoded_uri: transcodedUri,
        poster_uri: posterUri,
        duration_seconds: durationSeconds,
        width,
        height,
      };
    }
    case 'VideoNamed':
      return { name: event.data.name };
    case 'VideoDescribed':
      return { description: event.data.description };
    // Now read as making it a draft: converted still, and its owner can make it public again.
    case 'VideoUnpublished':
      return { visibility: 'draft' };
    case 'VideoVisibilityChanged':
      return { visibility: event.data.visibility };
    case 'VideoPosterChanged':
      return { poster_uri: event.data.posterUri };
    case 'VideoTakenDown':
      return { status: 'takenDown' };
    case 'VideoDeleted':
      return TOMBSTONE;
    default: {
      const unexpected: never = event;
      throw new Error(`no catalog change for ${(unexpected as { type: string }).type}`);
    }
  }
}

/**
 * The row guard compares global positions of one video's events, which grow only along one
 * stream: an event filed under another video's stream would compare positions of two streams.
 */
export function parseCatalogEvent(message: RawMessage): CatalogEvent | undefined {
  const event = parseMessage(catalogSchemas, message);
  if (event && event.streamName !== videoPublishingStreamName(event.data.videoId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its video's stream`);
  }
  return event;
}

export interface VideoChange {
  readonly videoId: string;
  readonly columns: CatalogColumns;
  /** The global position of the video's last event in the batch. */
  readonly position: number;
}

/**
 * Each video's events of the batch, in stream order, folded into the columns they leave behind,
 * starting from what its row holds (events it has seen are passed over); in video id order.
 * published_at is set by the first event after which the video is both converted and public, so a
 * draft made public a week after converting comes first in the list, and hiding a video and
 * showing it again does not bring it back to the top. Folding from the row makes that moment the
 * same however the events are cut into batches (live or rebuilt).
 */
export function foldByVideo(events: readonly CatalogEvent[], rows: ReadonlyMap<string, RowState>): VideoChange[] {
  const changes = new Map<string, VideoChange>();
  for (const event of events) {
    const videoId = event.data.videoId.toLowerCase();
    const row = rows.get(videoId);
    if (row?.publishing_position != null && event.globalPosition <= Number(row.publishing_position)) continue;
    const earlier = changes.get(videoId)?.columns ?? {};
    // Nothing after a deletion changes the tombstone (a transcode that ends after it, say), nor
    // its guard, which stays at the deletion however the events are cut into batches.
    if ((earlier.status ?? row?.status) === 'deleted') continue;
    const columns = { ...earlier, ...columnsOf(event) };
    const listed =
      (columns.status ?? row?.status) === 'published' && (columns.visibility ?? row?.visibility) === 'public';
    if (listed && (columns.published_at ?? row?.published_at ?? null) === null) columns.published_at = event.time;
    changes.set(videoId, { videoId, columns, position: event.globalPosition });
  }
  return [...changes.values()].sort((a, b) => (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0));
}

/** Each column publishing owns, with its SQL type, in the order the batch's rows carry them. */
const CATALOG_COLUMN_TYPES = {
  owner_id: 'uuid',
  name: 'text',
  description: 'text',
  status: 'text',
  visibility: 'text',
  transcoded_uri: 'text',
  poster_uri: 'text',
  duration_seconds: 'double precision',
  width: 'integer',
  height: 'integer',
  published_at: 'timestamptz',
} as const satisfies Record<keyof CatalogColumns, string>;

type KnownRow = RowState & {
  readonly video_id: string;
  readonly on_channel: boolean;
  readonly owner_id: string | null;
};

/**
 * The catalog side of `videos`: every video of the batch in one upsert. Only the columns
 * publishing owns are written, and of those only the ones the batch's events set (a long
 * description is not written again for a new name), so a row the views subscriber made first
 * keeps its count. The row's publishing_position is the guard: a fold whose last event the row
 * has already seen changes nothing. If the row has seen only some of the fold's events (a replay
 * cut into other batches), writing the whole fold is still right: each column takes its value
 * after the fold's last event, which is what the row would reach anyway. A deleted video's
 * tombstone is never written again: not by a late event of it, nor by an old one applied again.
 */
export const catalogProjection: BatchProjection<CatalogEvent> = {
  parse: parseCatalogEvent,
  async apply(events, trx: Knex.Transaction) {
    // Only this subscriber writes these columns, so what is read here holds until the write below.
    const ids = [...new Set(events.map((event) => event.data.videoId.toLowerCase()))];
    const known = await trx('videos')
      .whereIn('video_id', ids)
      .select<KnownRow[]>(
        'video_id',
        'status',
        'visibility',
        'published_at',
        'publishing_position',
        'owner_id',
        trx.raw(`coalesce(${onChannel('videos')}, false) AS on_channel`),
      );
    const changes = foldByVideo(events, new Map(known.map((row) => [row.video_id, row])));
    if (changes.length > 0) await writeChanges(trx, changes);
    await moveChannelViews(trx, await channelMoves(trx, known, ids));
  },
};

/**
 * One statement for the batch, rows locked in video id order as the views subscriber locks
 * them, so the two never deadlock. A new row takes every column (the table's defaults for
 * description and visibility when no event set them); an existing one only those each video's
 * events set (touched-columns.ts).
 */
async function writeChanges(trx: Knex.Transaction, changes: readonly VideoChange[]): Promise<void> {
  const { names, typed, inserted } = batchColumns(CATALOG_COLUMN_TYPES, {
    description: `''`,
    visibility: `'public'`,
  });
  await trx.raw(
    `WITH ${TOUCHED_CTE}
     INSERT INTO videos AS v (video_id, ${names.join(', ')}, publishing_position)
     SELECT c.video_id, ${inserted}, c.publishing_position
       FROM jsonb_to_recordset(?::jsonb) AS c(video_id uuid, ${typed}, publishing_position bigint)
      ORDER BY c.video_id
     ON CONFLICT (video_id) DO UPDATE
        SET ${setTouched(names, 'v')}, publishing_position = excluded.publishing_position
      WHERE (v.publishing_position IS NULL OR v.publishing_position < excluded.publishing_position)
        AND v.status IS DISTINCT FROM 'deleted'`,
    touchedBindings(changes.map(({ videoId, columns, position }) => ({ videoId, set: columns, position }))),
  );
}

/**
 * A video that came onto a channel (published and public) adds its whole count to its creator's
 * total, one that went off takes it away. The count is read after the writes above, which hold
 * its row: a viewing counted meanwhile either went in before (and is in the count read here) or
 * waits, and then sees the row as it is now.
 */
async function channelMoves(
  trx: Knex.Transaction,
  before: ReadonlyArray<{ video_id: string; on_channel: boolean; owner_id: string | null }>,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const after = await trx('videos')
    .whereIn('video_id', ids)
    .select<Array<{ video_id: string; owner_id: string | null; views: string; on_channel: boolean }>>(
      'video_id',
      'owner_id',
      'views',
      trx.raw(`coalesce(${onChannel('videos')}, false) AS on_channel`),
    );
  const was = new Map(before.map((row) => [row.video_id, row]));
  const moves = new Map<string, number>();
  const move = (owner: string, views: number) => moves.set(owner, (moves.get(owner) ?? 0) + views);
  for (const row of after) {
    const earlier = was.get(row.video_id);
    if (earlier?.on_channel === row.on_channel && earlier.owner_id === row.owner_id) continue;
    if (earlier?.on_channel && earlier.owner_id !== null) move(earlier.owner_id, -Number(row.views));
    if (row.on_channel && row.owner_id !== null) move(row.owner_id, Number(row.views));
  }
  return moves;
}
