import type { Knex } from 'knex';
import {
  videoPublishingEventSchemas,
  videoPublishingStreamName,
  type VideoPublishingEvent,
  type Visibility,
} from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { schemasOf } from './contract-subset.ts';

const VIDEO_TYPES = [
  'VideoPublishingAccepted',
  'VideoTranscodingStarted',
  'VideoPublished',
  'VideoPublishingFailed',
  'VideoNamed',
  'VideoUnpublished',
  'VideoVisibilityChanged',
  'VideoTakenDown',
  'VideoDeleted',
] as const;
type VideoEvent = Recorded<Extract<VideoPublishingEvent, { type: (typeof VIDEO_TYPES)[number] }>>;
type Accepted = Extract<VideoEvent, { type: 'VideoPublishingAccepted' }>;
const schemas = schemasOf(videoPublishingEventSchemas, VIDEO_TYPES);

/** 'published': converted, seen as its visibility says. 'deleted': a tombstone, out of the user's list and count. */
type VideoStatus = 'uploaded' | 'transcoding' | 'published' | 'failed' | 'takenDown' | 'deleted';

/** A video in one of these is still up (or will be once converted): an erasure takes it down. Counted in admin_users.videos_still_up. */
export const STILL_UP: readonly VideoStatus[] = ['uploaded', 'transcoding', 'published'];
const stillUp = (status: string | null): boolean => STILL_UP.includes(status as VideoStatus);

interface VideoColumns {
  name?: string | null;
  status?: VideoStatus;
  visibility?: Visibility;
}

/** The row guard compares positions along one stream: an event must be in its video's stream. */
function parseVideoEvent(message: RawMessage): VideoEvent | undefined {
  const event = parseMessage(schemas, message);
  if (event && event.streamName !== videoPublishingStreamName(event.data.videoId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its video's stream`);
  }
  return event;
}

function columnsOf(event: VideoEvent): VideoColumns {
  switch (event.type) {
    case 'VideoPublishingAccepted':
      return { visibility: event.data.visibility };
    case 'VideoTranscodingStarted':
      return { status: 'transcoding' };
    case 'VideoPublished':
      return { status: 'published' };
    case 'VideoPublishingFailed':
      return { status: 'failed' };
    case 'VideoUnpublished':
      return { visibility: 'draft' };
    case 'VideoVisibilityChanged':
      return { visibility: event.data.visibility };
    case 'VideoTakenDown':
      return { status: 'takenDown' };
    case 'VideoDeleted':
      return { status: 'deleted', name: null };
    case 'VideoNamed':
      return { name: event.data.name };
    default: {
      const unexpected: never = event;
      throw new Error(`no admin-users video change for ${(unexpected as { type: string }).type}`);
    }
  }
}

/** Acceptance makes a video's row; a replayed acceptance finds it there and makes nothing. Returns the owners of the rows made. */
async function insertAccepted(accepted: readonly Accepted[], trx: Knex.Transaction): Promise<string[]> {
  const first = new Map<string, Accepted>();
  for (const event of accepted)
    if (!first.has(event.data.videoId.toLowerCase())) first.set(event.data.videoId.toLowerCase(), event);
  const events = [...first.values()];
  const inserted = await trx.raw<{ rows: Array<{ user_id: string }> }>(
    `INSERT INTO admin_user_videos (video_id, user_id, status, visibility, accepted_at, global_position, last_position)
     SELECT video.video_id, video.user_id, 'uploaded', video.visibility, video.time, video.global_position, video.global_position
       FROM unnest(?::uuid[], ?::uuid[], ?::text[], ?::timestamptz[], ?::bigint[]) AS video (video_id, user_id, visibility, time, global_position)
     ON CONFLICT (video_id) DO NOTHING
     RETURNING user_id`,
    [
      events.map((e) => e.data.videoId),
      events.map((e) => e.data.ownerId),
      events.map((e) => e.data.visibility),
      events.map((e) => e.time),
      events.map((e) => e.globalPosition),
    ],
  );
  return inserted.rows.map((row) => row.user_id);
}

/** What one row's change did to its owner's counts. */
interface RowChange {
  readonly user_id: string;
  readonly status: string;
  readonly was: string;
}

/**
 * Each video's later events, merged per video, in one statement: a row takes only what is past
 * its last_position, and a tombstone takes nothing. Returns each changed row's owner with its
 * status before and after (only this subscriber writes a status, so the one read is the one
 * replaced).
 */
async function applyChanges(
  changes: ReadonlyMap<string, { columns: VideoColumns; position: number }>,
  trx: Knex.Transaction,
): Promise<RowChange[]> {
  if (changes.size === 0) return [];
  const updated = await trx.raw<{ rows: RowChange[] }>(
    `UPDATE admin_user_videos AS video
        -- A name set to null (a deletion) is a JSON null: present, so it clears the name.
        SET name = CASE WHEN change.columns -> 'name' IS NOT NULL THEN change.columns->>'name' ELSE video.name END,
            status = coalesce(change.columns->>'status', video.status),
            visibility = coalesce(change.columns->>'visibility', video.visibility),
            last_position = change.position
       FROM jsonb_to_recordset(?::jsonb) AS change (video_id uuid, position bigint, columns jsonb), admin_user_videos AS before
      WHERE video.video_id = change.video_id AND before.video_id = video.video_id
        AND video.last_position < change.position AND video.status <> 'deleted'
      RETURNING video.user_id, video.status, before.status AS was`,
    [
      JSON.stringify(
        [...changes].map(([videoId, { columns, position }]) => ({ video_id: videoId, position, columns })),
      ),
    ],
  );
  return updated.rows;
}

/**
 * A user's videos (admin_user_videos) and how many they have (admin_users.videos). A video's
 * later events update its row's name, status and visibility, guarded by last_position;
 * acceptance comes first in the video's stream, so it is applied first. A deleted video stays as
 * a tombstone (status 'deleted', no name) that no later event changes, out of its owner's count.
 * The owners' counts move last, in one statement that locks their rows in user id order (as
 * every writer of admin_users locks them): the viewings' subscriber writes the same rows, and
 * while catching up a store from zero, locks taken at a batch's start were held through its
 * other statements and stopped it for most of their time.
 */
export const videosProjection: BatchProjection<VideoEvent> = {
  parse: parseVideoEvent,
  async apply(events, trx) {
    const accepted = events.filter((event): event is Accepted => event.type === 'VideoPublishingAccepted');
    const added = accepted.length > 0 ? await insertAccepted(accepted, trx) : [];
    const changes = new Map<string, { columns: VideoColumns; position: number }>();
    for (const event of events) {
      const videoId = event.data.videoId.toLowerCase();
      const earlier = changes.get(videoId)?.columns;
      // Nothing after a deletion changes the tombstone, nor its guard (kept at the deletion however the batches are cut).
      if (earlier?.status === 'deleted') continue;
      changes.set(videoId, { columns: { ...earlier, ...columnsOf(event) }, position: event.globalPosition });
    }
    const changed = await applyChanges(changes, trx);
    // Per owner: videos (not deleted) and videos still up; a new row is 'uploaded', so both.
    const delta = new Map<string, { videos: number; stillUp: number }>();
    const move = (owner: string, videos: number, up: number) => {
      const counts = delta.get(owner) ?? { videos: 0, stillUp: 0 };
      delta.set(owner, { videos: counts.videos + videos, stillUp: counts.stillUp + up });
    };
    for (const owner of added) move(owner, 1, 1);
    for (const row of changed)
      move(row.user_id, row.status === 'deleted' ? -1 : 0, Number(stillUp(row.status)) - Number(stillUp(row.was)));
    // An owner whose video came and went in this batch still gets a row, as one applied message
    // by message would leave it: a rebuild's larger batches must make what the live ones made.
    const owners = [...delta].sort(([a], [b]) => (a < b ? -1 : 1));
    if (owners.length === 0) return;
    // A negative change is a tombstone of a row counted earlier, so its owner's row exists (made
    // when the row was counted, and only a rebuild, truncating every table, removes it).
    await trx.raw(
      `INSERT INTO admin_users AS owner (user_id, videos, videos_still_up)
       SELECT * FROM unnest(?::uuid[], ?::int[], ?::int[]) ORDER BY 1
       ON CONFLICT (user_id) DO UPDATE
         SET videos = owner.videos + excluded.videos, videos_still_up = owner.videos_still_up + excluded.videos_still_up`,
      [
        owners.map(([owner]) => owner),
        owners.map(([, counts]) => counts.videos),
        owners.map(([, counts]) => counts.stillUp),
      ],
    );
  },
};
