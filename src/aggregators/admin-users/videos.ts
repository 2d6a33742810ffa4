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

/**
 * Acceptance makes a video's row and counts it for its owner, in one statement: the count moves
 * only for rows actually inserted, so a replayed acceptance counts nothing. Owners' rows are
 * locked in user id order, as every writer of admin_users locks them.
 */
async function countAccepted(accepted: readonly Accepted[], trx: Knex.Transaction): Promise<void> {
  const first = new Map<string, Accepted>();
  for (const event of accepted)
    if (!first.has(event.data.videoId.toLowerCase())) first.set(event.data.videoId.toLowerCase(), event);
  const events = [...first.values()];
  await trx.raw(
    `WITH inserted AS (
       INSERT INTO admin_user_videos (video_id, user_id, status, visibility, accepted_at, global_position, last_position)
       SELECT video.video_id, video.user_id, 'uploaded', video.visibility, video.time, video.global_position, video.global_position
         FROM unnest(?::uuid[], ?::uuid[], ?::text[], ?::timestamptz[], ?::bigint[]) AS video (video_id, user_id, visibility, time, global_position)
       ON CONFLICT (video_id) DO NOTHING
       RETURNING user_id
     )
     INSERT INTO admin_users AS owner (user_id, videos)
     SELECT user_id, count(*) FROM inserted GROUP BY user_id ORDER BY user_id
     ON CONFLICT (user_id) DO UPDATE SET videos = owner.videos + excluded.videos`,
    [
      events.map((e) => e.data.videoId),
      events.map((e) => e.data.ownerId),
      events.map((e) => e.data.visibility),
      events.map((e) => e.time),
      events.map((e) => e.globalPosition),
    ],
  );
}

/**
 * Deleted videos leave their owners' count, once each: only a row that turns into a tombstone
 * here counts. The owners' rows are locked first, in user id order, as every writer of
 * admin_users locks them.
 */
async function uncountDeleted(deleted: ReadonlyMap<string, number>, trx: Knex.Transaction): Promise<void> {
  const rows = await trx('admin_user_videos')
    .whereIn('video_id', [...deleted.keys()])
    .andWhere('status', '<>', 'deleted')
    .select<{ video_id: string; user_id: string; last_position: string }[]>('video_id', 'user_id', 'last_position');
  const leaving = rows.filter((row) => Number(row.last_position) < deleted.get(row.video_id)!);
  if (leaving.length === 0) return;
  const owners = [...new Set(leaving.map((row) => row.user_id))].sort();
  await trx('admin_users').whereIn('user_id', owners).orderBy('user_id').forUpdate().select('user_id');
  for (const owner of owners) {
    await trx('admin_users')
      .where({ user_id: owner })
      .decrement('videos', leaving.filter((row) => row.user_id === owner).length);
  }
}

/**
 * A user's videos (admin_user_videos) and how many they have (admin_users.videos). A video's
 * later events update its row's name, status and visibility, guarded by last_position;
 * acceptance comes first in the video's stream, so it is applied first. A deleted video stays as
 * a tombstone (status 'deleted', no name) that no later event changes, out of its owner's count.
 */
export const videosProjection: BatchProjection<VideoEvent> = {
  parse: parseVideoEvent,
  async apply(events, trx) {
    const accepted = events.filter((event): event is Accepted => event.type === 'VideoPublishingAccepted');
    if (accepted.length > 0) await countAccepted(accepted, trx);
    const changes = new Map<string, { columns: VideoColumns; position: number }>();
    for (const event of events) {
      const videoId = event.data.videoId.toLowerCase();
      const earlier = changes.get(videoId)?.columns;
      // Nothing after a deletion changes the tombstone, nor its guard (kept at the deletion however the batches are cut).
      if (earlier?.status === 'deleted') continue;
      changes.set(videoId, { columns: { ...earlier, ...columnsOf(event) }, position: event.globalPosition });
    }
    const deleted = new Map(
      [...changes]
        .filter(([, change]) => change.columns.status === 'deleted')
        .map(([videoId, change]) => [videoId, change.position]),
    );
    if (deleted.size > 0) await uncountDeleted(deleted, trx);
    for (const [videoId, { columns, position }] of changes) {
      await trx('admin_user_videos')
        .where({ video_id: videoId })
        .andWhere('last_position', '<', position)
        .andWhere('status', '<>', 'deleted')
        .update({ ...columns, last_position: position });
    }
  },
};
