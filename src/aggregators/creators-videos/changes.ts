import {
  videoPublishingEventSchemas,
  videoPublishingStreamName,
  type VideoPublishingEvent,
  type Visibility,
} from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';

const CREATOR_EVENTS = [
  'VideoPublishingAccepted',
  'VideoTranscodingStarted',
  'VideoTranscodingProgressed',
  'VideoPublished',
  'VideoPublishingFailed',
  'VideoNamed',
  'VideoDescribed',
  'VideoUnpublished',
  'VideoVisibilityChanged',
  'VideoPosterChanged',
  'VideoTakenDown',
  'VideoDeleted',
] as const;
export type CreatorEvent = Recorded<Extract<VideoPublishingEvent, { type: (typeof CREATOR_EVENTS)[number] }>>;
// Rejections change nothing the creator's list shows (the operation page tells of them).
const creatorSchemas = Object.fromEntries(
  CREATOR_EVENTS.map((type) => [type, videoPublishingEventSchemas[type]]),
) as Pick<typeof videoPublishingEventSchemas, (typeof CREATOR_EVENTS)[number]>;

/**
 * 'published' means converted: who may watch it is its visibility. 'deleted' is a tombstone that
 * no later event of the video changes. ('unpublished' only in rows from before visibility: the
 * migration made them converted drafts.)
 */
export type CreatorVideoStatus = 'uploaded' | 'transcoding' | 'published' | 'failed' | 'takenDown' | 'deleted';

/** The columns of creators_videos an event sets. */
export interface CreatorColumns {
  owner_id?: string;
  uploaded_at?: Date;
  name?: string | null;
  description?: string;
  status?: CreatorVideoStatus;
  progress?: number;
  failure_reason?: string | null;
  /** The admin's reason, for the creator to read. */
  take_down_reason?: string | null;
  poster_uri?: string | null;
  duration_seconds?: number;
  visibility?: Visibility;
  /** The frames the creator can pick a poster from (a jsonb array). */
  poster_candidate_uris?: readonly string[];
  failed_at?: Date;
}

/** What a deleted video's row keeps: its id, owner and times; nothing it was called or showed. */
const TOMBSTONE: CreatorColumns = {
  status: 'deleted',
  name: null,
  description: '',
  failure_reason: null,
  take_down_reason: null,
  poster_uri: null,
  poster_candidate_uris: [],
};

export function columnsOf(event: CreatorEvent): CreatorColumns {
  switch (event.type) {
    case 'VideoPublishingAccepted':
      return {
        owner_id: event.data.ownerId,
        uploaded_at: event.time,
        status: 'uploaded',
        progress: 0,
        visibility: event.data.visibility,
      };
    case 'VideoTranscodingStarted':
      return { status: 'transcoding' };
    case 'VideoTranscodingProgressed':
      return { progress: event.data.percent };
    case 'VideoPublished':
      return {
        status: 'published',
        progress: 100,
        poster_uri: event.data.posterUri,
        duration_seconds: event.data.durationSeconds,
        poster_candidate_uris: event.data.posterCandidateUris,
      };
    case 'VideoPublishingFailed':
      return { status: 'failed', failure_reason: event.data.reason, failed_at: event.time };
    case 'VideoNamed':
      return { name: event.data.name };
    case 'VideoDescribed':
      return { description: event.data.description };
    // Unpublishing is now making it a draft: still converted, and its owner can make it public again.
    case 'VideoUnpublished':
      return { visibility: 'draft' };
    case 'VideoVisibilityChanged':
      return { visibility: event.data.visibility };
    case 'VideoPosterChanged':
      return { poster_uri: event.data.posterUri };
    case 'VideoTakenDown':
      return { status: 'takenDown', take_down_reason: event.data.reason };
    case 'VideoDeleted':
      return TOMBSTONE;
    default: {
      const unexpected: never = event;
      throw new Error(`no change to a creator's video for ${(unexpected as { type: string }).type}`);
    }
  }
}

/**
 * The row guard compares global positions of one video's events, which grow only along one
 * stream: an event filed under another video's stream would compare positions of two streams.
 */
export function parseCreatorEvent(message: RawMessage): CreatorEvent | undefined {
  const event = parseMessage(creatorSchemas, message);
  if (event && event.streamName !== videoPublishingStreamName(event.data.videoId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its video's stream`);
  }
  return event;
}

export interface VideoChange {
  readonly videoId: string;
  readonly columns: CreatorColumns;
  /** The global position of the video's last event in the batch. */
  readonly position: number;
}

/** Each video's events of the batch, in stream order, folded into the columns they leave behind; in video id order. */
export function foldByVideo(events: readonly CreatorEvent[]): VideoChange[] {
  const changes = new Map<string, VideoChange>();
  for (const event of events) {
    const videoId = event.data.videoId.toLowerCase();
    const earlier = changes.get(videoId)?.columns ?? {};
    // Nothing after a deletion changes the tombstone (a transcode that ends after it, say), nor
    // its guard, which stays at the deletion however the events are cut into batches.
    if (earlier.status === 'deleted') continue;
    changes.set(videoId, { videoId, columns: { ...earlier, ...columnsOf(event) }, position: event.globalPosition });
  }
  return [...changes.values()].sort((a, b) => (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0));
}
