import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type MessageStore, type RawMessage } from '../../../message-store/index.ts';
import type { VideoStore } from '../../../video-store/index.ts';
import { videoPublishingStreamName, type VideoPublishingEvent } from '../../../contracts/video-publishing.ts';
import { answerId } from '../ids.ts';
import type { CreatorQuota, TranscodeQueue } from '../scheduling/transcode-queue.ts';
import { isSettled, videoProjection, type Video } from '../video.ts';
import { createOutcomes } from './outcomes.ts';
import { counted } from '../../../plural.ts';

export interface QueueingDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly videoStore: VideoStore;
  readonly queue: TranscodeQueue;
  readonly quota: CreatorQuota;
  /** Videos of the batch in hand already read and found settled: each is then not read again. */
  readonly lookahead?: SettledLookahead;
}

export interface SettledLookahead {
  /** Reads, in one statement, the videos the batch's acceptances name, and keeps those settled. */
  prepare(batch: readonly RawMessage[]): Promise<void>;
  /** The video of `stream` as prepare found it, if settled; each is taken once. */
  take(stream: string): Video | undefined;
}

/**
 * A catch-up hands the queue thousands of acceptances of videos long since published, and read
 * one at a time each waited its turn on the event loop. The batch's are read before it is
 * handled, and only the settled ones are kept: a settled video stays settled (a later deletion
 * is a later event, whose own handler removes the files). One not settled is read again when
 * its acceptance is handled: a transcoder of this process may settle it in between and leave
 * the queue, and a state read before that would queue it again and hold its creator's place.
 */
export function createSettledLookahead(messageStore: MessageStore): SettledLookahead {
  const settled = new Map<string, Video>();
  return {
    async prepare(batch) {
      settled.clear();
      const streams = batch
        .filter((message) => message.type === 'VideoPublishingAccepted')
        .map((message) => (message.data as { videoId?: unknown } | null)?.videoId)
        .filter((videoId): videoId is string => typeof videoId === 'string')
        .flatMap((videoId) => {
          try {
            return [videoPublishingStreamName(videoId)];
          } catch {
            return []; // not a stream name: the handler refuses the message, and reads nothing
          }
        });
      if (streams.length === 0) return;
      for (const [stream, { state }] of await messageStore.projectEach(streams, videoProjection))
        if (isSettled(state)) settled.set(stream, state);
    },
    take(stream) {
      const state = settled.get(stream);
      settled.delete(stream);
      return state;
    },
  };
}

/** What a creator over the quota reads: the portal refuses such an upload first, so this is for a race or another writer. */
export function creatorBusyReason({ running, queued }: CreatorQuota): string {
  return `You already have ${counted(running + queued, 'video')} waiting to be converted, the most we take at once. Please wait until one is published, then upload this one again.`;
}

/**
 * The transcoding subscriber's handlers: they only fill the queue, so reading the category
 * never waits for a transcode. A VideoPublishingAccepted joins the queue unless its video has
 * an outcome already (a redelivery, or a restart reading it again) or its creator already has
 * as many videos in hand as the quota allows: that one fails at once, its upload deleted. An
 * outcome recorded for a video still queued takes it out; a deletion also removes its files.
 */
export function createQueueingHandlers({
  messageStore,
  logger,
  videoStore,
  queue,
  quota,
  lookahead,
}: QueueingDeps): HandlerMap<VideoPublishingEvent> {
  const outcomes = createOutcomes({ messageStore, videoStore });
  const settle = async (event: { readonly data: { readonly videoId: string } }) => queue.drop(event.data.videoId);

  return {
    async VideoPublishingAccepted(event) {
      const { ownerId, videoId, sourceUri } = event.data;
      if (queue.has(videoId)) return;
      const stream = videoPublishingStreamName(videoId);
      const state = lookahead?.take(stream) ?? (await messageStore.project(stream, videoProjection)).state;
      if (isSettled(state)) {
        // A crash between recording the failure (or the deletion) and removing the files would otherwise keep them for good.
        await outcomes.tidy(state, videoId, sourceUri);
        return;
      }
      const log = logger.child({ videoId, ownerId, eventId: event.id });
      if (queue.admits(ownerId)) {
        queue.add({ videoId, ownerId, accepted: event });
        log.debug(queue.counts(), 'queued for transcoding');
        return;
      }
      const refused = follow(
        event,
        'VideoPublishingFailed',
        { ownerId, videoId, reason: creatorBusyReason(quota) },
        {},
        answerId(event.id, 'VideoPublishingFailed'),
      );
      if ((await outcomes.write(stream, refused)).written) {
        await outcomes.removeFailedVideo(videoId, sourceUri);
        log.info('refused: the creator has as many videos in hand as the quota allows');
      }
    },
    VideoPublished: settle,
    VideoPublishingFailed: settle,
    VideoTakenDown: settle,
    /**
     * The files go here, on the component's own event, not in the command handler: once the
     * deletion is recorded, however often it is delivered. A transcode still running is
     * cancelled (drop), and removes what it wrote itself when it finds the video deleted.
     */
    async VideoDeleted(event) {
      queue.drop(event.data.videoId);
      await outcomes.removeDeletedVideo(event.data.videoId);
      logger.info({ videoId: event.data.videoId }, 'deleted video: files removed');
    },
  };
}
