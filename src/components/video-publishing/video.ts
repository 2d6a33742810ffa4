import { parseMessage } from '../../contracts/parse.ts';
import { type Projection, type RawMessage, type Recorded } from '../../message-store/index.ts';
import {
  videoPublishingEventSchemas,
  type Visibility,
  type VideoPublishingEvent,
} from '../../contracts/video-publishing.ts';

/**
 * unknown: no PublishVideo accepted. accepted: waiting for a transcoder. transcoding: one has
 * begun. published: converted (who may watch it is `visibility`; an unpublished video is a
 * converted draft). failed: could not be converted. takenDown: by an admin, for good. deleted:
 * by its owner or an admin, from any of the others, for good: its files are removed.
 */
export type VideoStatus = 'unknown' | 'accepted' | 'transcoding' | 'published' | 'failed' | 'takenDown' | 'deleted';

/** A video as its `videoPublishing-<videoId>` stream tells it. */
export interface Video {
  readonly status: VideoStatus;
  readonly ownerId: string | undefined;
  readonly name: string | undefined;
  readonly description: string;
  /** Chosen at upload, changed any time until the video is taken down or deleted. */
  readonly visibility: Visibility;
  /** The poster shown, once converted: the transcode's, a chosen candidate, or an uploaded image re-encoded. */
  readonly posterUri: string | undefined;
  /** The frames the transcode offered; ChooseVideoPoster picks one by its index here. */
  readonly posterCandidateUris: readonly string[];
  /** Global positions of the messages this stream's events answer: a command found here was handled already. */
  readonly handled: ReadonlySet<number>;
}

const initial: Video = {
  status: 'unknown',
  ownerId: undefined,
  name: undefined,
  description: '',
  visibility: 'public',
  posterUri: undefined,
  posterCandidateUris: [],
  handled: new Set(),
};

/**
 * Publishing has an outcome, or the video was taken off the site: a transcoder has nothing left
 * to do, and one that finishes now records nothing (so a video taken down or deleted
 * mid-transcode is never published).
 */
export function isSettled(video: Video): boolean {
  return video.status === 'published' || video.status === 'failed' || isFinal(video);
}

/** Taken down or deleted: nothing changes the video again (but a deletion of a taken-down one). */
export function isFinal(video: Video): boolean {
  return video.status === 'takenDown' || video.status === 'deleted';
}

function answered(state: Video, message: RawMessage): Video {
  const cause = message.metadata.causationMessageGlobalPosition;
  return cause === undefined ? state : { ...state, handled: new Set(state.handled).add(cause) };
}

type Apply = (state: Video, event: Recorded<VideoPublishingEvent>) => Video;

/** Events are read against the contract first: a broken one throws MessageDataError, and the command being decided is parked, not decided on a misread stream. */
function checked(apply: Apply): (state: Video, message: RawMessage) => Video {
  return (state, message) => {
    const event = parseMessage(videoPublishingEventSchemas, message);
    return event ? apply(answered(state, message), event) : state;
  };
}

const same: Apply = (state) => state;
/** A take-down or a deletion is final: no later outcome or change brings the video back. */
const unlessFinal =
  (apply: Apply): Apply =>
  (state, event) =>
    isFinal(state) ? state : apply(state, event);

export const videoProjection: Projection<Video> = {
  init: () => initial,
  apply: {
    VideoPublishingAccepted: checked((state, event) =>
      event.type === 'VideoPublishingAccepted'
        ? { ...state, status: 'accepted', ownerId: event.data.ownerId, visibility: event.data.visibility }
        : state,
    ),
    // A forged or mistaken PublishVideo must not take the video from the one who uploaded it.
    VideoPublishingRejected: checked(same),
    VideoTranscodingStarted: checked((state) =>
      state.status === 'accepted' ? { ...state, status: 'transcoding' } : state,
    ),
    VideoTranscodingProgressed: checked(same),
    VideoPublished: checked(
      unlessFinal((state, event) =>
        event.type === 'VideoPublished'
          ? {
              ...state,
              status: 'published',
              posterUri: event.data.posterUri,
              posterCandidateUris: event.data.posterCandidateUris,
            }
          : state,
      ),
    ),
    VideoPublishingFailed: checked(unlessFinal((state) => ({ ...state, status: 'failed' }))),
    VideoNamed: checked((state, event) => (event.type === 'VideoNamed' ? { ...state, name: event.data.name } : state)),
    VideoNameRejected: checked(same),
    VideoDescribed: checked((state, event) =>
      event.type === 'VideoDescribed' ? { ...state, description: event.data.description } : state,
    ),
    VideoDescriptionRejected: checked(same),
    // What "unpublish" became: a converted draft, which its owner can make public again.
    VideoUnpublished: checked(unlessFinal((state) => ({ ...state, visibility: 'draft' }))),
    VideoUnpublishRejected: checked(same),
    VideoVisibilityChanged: checked(
      unlessFinal((state, event) =>
        event.type === 'VideoVisibilityChanged' ? { ...state, visibility: event.data.visibility } : state,
      ),
    ),
    VideoVisibilityRejected: checked(same),
    VideoDeleted: checked((state) => ({ ...state, status: 'deleted' })),
    VideoDeleteRejected: checked(same),
    VideoPosterChanged: checked(
      unlessFinal((state, event) =>
        event.type === 'VideoPosterChanged' ? { ...state, posterUri: event.data.posterUri } : state,
      ),
    ),
    VideoPosterRejected: checked(same),
    VideoTakenDown: checked((state) => (state.status === 'deleted' ? state : { ...state, status: 'takenDown' })),
    VideoTakeDownRejected: checked(same),
  },
};
