import type { Knex } from 'knex';
import { videoPublishingEventSchemas, videoPublishingStreamName, type VideoPublishingEvent } from '../../contracts/video-publishing.ts';
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
  'VideoTakenDown',
] as const;
type VideoEvent = Recorded<Extract<VideoPublishingEvent, { type: (typeof VIDEO_TYPES)[number] }>>;
type Accepted = Extract<VideoEvent, { type: 'VideoPublishingAccepted' }>;
const schemas = schemasOf(videoPublishingEventSchemas, VIDEO_TYPES);

type VideoStatus = 'uploaded' | 'transcoding' | 'published' | 'failed' | 'unpublished' | 'takenDown';

interface VideoColumns {
  name?: string;
  status?: VideoStatus;
}

/** The row guard compares positions along one stream: an event must be in its video's stream. */
function parseVideoEvent(message: RawMessage): VideoEvent | undefined {
  const event = parseMessage(schemas, message);
  if (event && event.streamName !== videoPublishingStreamName(event.data.videoId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its video's stream`);
  }
  return event;
}

function columnsOf(event: Exclude<VideoEvent, Accepted>): VideoColumns {
  switch (event.type) {
    case 'VideoTranscodingStarted':
      return { status: 'transcoding' };
    case 'VideoPublished':
      return { status: 'published' };
    case 'VideoPublishingFailed':
      return { status: 'failed' };
    case 'VideoUnpublished':
      return { status: 'unpublished' };
    case 'VideoTakenDown':
      return { status: 'takenDown' };
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
  for (const event of accepted) if (!first.has(event.data.videoId.toLowerCase())) first.set(event.data.videoId.toLowerCase(), event);
  const events = [...first.values()];
  await trx.raw(
    `WITH inserted AS (
       INSERT INTO admin_user_videos (video_id, user_id, status, accepted_at, global_position, last_position)
       SELECT video.video_id, video.user_id, 'uploaded', video.time, video.global_position, video.global_position
         FROM unnest(?::uuid[], ?::uuid[], ?::timestamptz[], ?::bigint[]) AS video (video_id, user_id, time, global_position)
       ON CONFLICT (video_id) DO NOTHING
       RETURNING user_id
     )
     INSERT INTO admin_users AS owner (user_id, videos)
     SELECT user_id, count(*) FROM inserted GROUP BY user_id ORDER BY user_id
     ON CONFLICT (user_id) DO UPDATE SET videos = owner.videos + excluded.videos`,
    [events.map((e) => e.data.videoId), events.map((e) => e.data.ownerId), events.map((e) => e.time), events.map((e) => e.globalPosition)],
  );
}

/**
 * A user's videos (admin_user_videos) and how many they have (admin_users.videos). A video's
 * later events update its row's name and status, guarded by last_position; acceptance comes
 * first in the video's stream, so it is applied first.
 */
export const videosProjection: BatchProjection<VideoEvent> = {
  parse: parseVideoEvent,
  async apply(events, trx) {
    const accepted = events.filter((event): event is Accepted => event.type === 'VideoPublishingAccepted');
    if (accepted.length > 0) await countAccepted(accepted, trx);
    const changes = new Map<string, { columns: VideoColumns; position: number }>();
    for (const event of events) {
      if (event.type === 'VideoPublishingAccepted') continue;
      const videoId = event.data.videoId.toLowerCase();
      changes.set(videoId, { columns: { ...changes.get(videoId)?.columns, ...columnsOf(event) }, position: event.globalPosition });
    }
    for (const [videoId, { columns, position }] of changes) {
      await trx('admin_user_videos')
        .where({ video_id: videoId })
        .andWhere('last_position', '<', position)
        .update({ ...columns, last_position: position });
    }
  },
};
