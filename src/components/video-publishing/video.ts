import { parseMessage } from '../../contracts/parse.ts';
import { type Projection, type RawMessage, type Recorded } from '../../message-store/index.ts';
import { videoPublishingEventSchemas, type VideoPublishingEvent } from '../../contracts/video-publishing.ts';

/**
 * unknown: no PublishVideo accepted. accepted: waiting for a transcoder. transcoding: one has
 * begun. published / failed: the outcome, written once. unpublished: taken off by its owner.
 * takenDown: taken down by an admin, from any of the others, for good.
 */
export type VideoStatus = 'unknown' | 'accepted' | 'transcoding' | 'published' | 'failed' | 'unpublished' | 'takenDown';

/** A video as its `videoPublishing-<videoId>` stream tells it. */
export interface Video {
  readonly status: VideoStatus;
  readonly ownerId: string | undefined;
  readonly name: string | undefined;
  readonly description: string;
  /** Global positions of the messages this stream's events answer: a command found here was handled already. */
  readonly handled: ReadonlySet<number>;
}

const initial: Video = { status: 'unknown', ownerId: undefined, name: undefined, description: '', handled: new Set() };

/**
 * Publishing has an outcome, or the video was taken off the site: a transcoder has nothing left
 * to do, and one that finishes now records nothing (so a video taken down mid-transcode is
 * never published).
 */
export function isSettled(video: Video): boolean {
  return video.status === 'published' || video.status === 'failed' || video.status === 'unpublished' || video.status === 'takenDown';
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
/** A take-down is final: no later outcome brings the video back. */
const unlessTakenDown =
  (apply: Apply): Apply =>
  (state, event) =>
    state.status === 'takenDown' ? state : apply(state, event);

export const videoProjection: Projection<Video> = {
  init: () => initial,
  apply: {
    VideoPublishingAccepted: checked((state, event) =>
      event.type === 'VideoPublishingAccepted' ? { ...state, status: 'accepted', ownerId: event.data.ownerId } : state,
    ),
    // A forged or mistaken PublishVideo must not take the video from the one who uploaded it.
    VideoPublishingRejected: checked(same),
    VideoTranscodingStarted: checked((state) => (state.status === 'accepted' ? { ...state, status: 'transcoding' } : state)),
    VideoTranscodingProgressed: checked(same),
    VideoPublished: checked(unlessTakenDown((state) => ({ ...state, status: 'published' }))),
    VideoPublishingFailed: checked(unlessTakenDown((state) => ({ ...state, status: 'failed' }))),
    VideoNamed: checked((state, event) => (event.type === 'VideoNamed' ? { ...state, name: event.data.name } : state)),
    VideoNameRejected: checked(same),
    VideoDescribed: checked((state, event) => (event.type === 'VideoDescribed' ? { ...state, description: event.data.description } : state)),
    VideoDescriptionRejected: checked(same),
    VideoUnpublished: checked(unlessTakenDown((state) => ({ ...state, status: 'unpublished' }))),
    VideoUnpublishRejected: checked(same),
    VideoTakenDown: checked((state) => ({ ...state, status: 'takenDown' })),
    VideoTakeDownRejected: checked(same),
  },
};
