import type { Logger } from '../../../logger.ts';
import {
  follow,
  type HandlerMap,
  type Message,
  type MessageStore,
  type Recorded,
} from '../../../message-store/index.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../../video-store/index.ts';
import {
  REJECTION_REASONS,
  requesterOf,
  videoPublishingStreamName,
  type PublishVideo,
  type VideoPublishingCommand,
} from '../../../contracts/video-publishing.ts';
import { answerId } from '../ids.ts';
import { isErased, wasAdminWhenSent } from '../admin-role.ts';
import { decideDescription, decideName, decideTakeDownReason } from '../../../contracts/video-publishing-text-rules.ts';
import type { TranscodeLimits } from '../media/limits.ts';
import type { MediaTools } from '../prepare-video.ts';
import { videoProjection, type Video } from '../video.ts';
import { createOutcomes } from './outcomes.ts';
import { createPosterUpload } from './poster-upload.ts';
import { convertedProblem, deleteProblem, textProblem, unpublishProblem, visibilityProblem } from './rules.ts';

type Command<T extends VideoPublishingCommand['type']> = Recorded<Extract<VideoPublishingCommand, { type: T }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** For poster uploads, decoded and re-encoded here (see createPosterUpload). */
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  readonly limits: TranscodeLimits;
}

/**
 * A PublishVideo must be the sender's own and name its own video's upload. The portal always
 * sends that; anything else came from another writer of the command stream, who would
 * otherwise publish a stranger's upload or publish in a stranger's name.
 */
function publishProblem({ ownerId, videoId, sourceUri }: PublishVideo['data'], userId: string): string | undefined {
  if (ownerId !== userId) return REJECTION_REASONS.publishForSomeoneElse;
  if (sourceUri !== uriOfKey(videoKeys.source(videoId))) return REJECTION_REASONS.publishOtherUpload;
  return undefined;
}

/**
 * Every command of the component. None of them waits for a transcode: PublishVideo only
 * accepts the video (the transcoding subscriber does the work), so a rename queued behind a
 * publish is answered at once; a poster upload takes the time of one picture. Each handler
 * reads the video, returns if the command was answered already, decides, and writes one
 * event at the version it read with an id derived from the command: a redelivery finds its
 * answer, a race is caught by the version (the engine retries, and the retry finds the
 * answer), and a write repeated after a lost reply is deduplicated by the store.
 */
export function createCommandHandlers({
  messageStore,
  logger,
  videoStore,
  tools,
  limits,
}: Deps): Required<HandlerMap<VideoPublishingCommand>> {
  /**
   * `after` runs once the command is answered, now or by an earlier delivery (a crash may have
   * come between the answer and it): clean-up that must happen whichever way it went.
   */
  async function decide<T extends VideoPublishingCommand['type']>(
    command: Command<T>,
    answer: (video: Video, userId: string) => Message | undefined | Promise<Message | undefined>,
    after?: (video: Video, userId: string) => Promise<void>,
  ): Promise<void> {
    const userId = requesterOf(command);
    const { videoId } = command.data;
    const log = logger.child({ videoId, commandId: command.id, type: command.type });
    const stream = videoPublishingStreamName(videoId);
    const { state, version } = await messageStore.project(stream, videoProjection);
    if (state.handled.has(command.globalPosition)) {
      log.debug('command already answered; ignored');
      await after?.(state, userId);
      return;
    }
    const event = await answer(state, userId);
    if (!event) {
      log.debug({ status: state.status }, 'nothing to do');
      return;
    }
    await messageStore.write(stream, event, version);
    log.info({ answer: event.type }, 'command answered');
    await after?.(state, userId);
  }

  const reply = <T extends string, D>(
    command: Command<VideoPublishingCommand['type']>,
    type: T,
    data: D,
  ): Message<T, D> => follow(command, type, data, {}, answerId(command.id, type));
  const posterUpload = createPosterUpload({
    videoStore,
    tools,
    limits,
    outcomes: createOutcomes({ messageStore, videoStore }),
  });

  return {
    PublishVideo: (command) =>
      decide(command, async (video, userId) => {
        const reason = publishProblem(command.data, userId);
        // A rejection leaves the video as it was: the owner's own PublishVideo still goes through.
        if (reason) return reply(command, 'VideoPublishingRejected', { ...command.data, reason });
        if (video.status === 'deleted')
          return reply(command, 'VideoPublishingRejected', { ...command.data, reason: REJECTION_REASONS.deleted });
        // A video is published once: a PublishVideo for one already accepted is a duplicate
        // (the form posted twice), and a failed upload is retried under a new video id.
        if (video.status !== 'unknown') return undefined;
        // An upload still on its way when its creator was erased: the erasure took down the
        // videos it could see, and this one would otherwise be published with nobody's consent.
        if (await isErased(messageStore, userId))
          return reply(command, 'VideoPublishingRejected', { ...command.data, reason: REJECTION_REASONS.ownerErased });
        return reply(command, 'VideoPublishingAccepted', command.data);
      }),

    NameVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId, name } = command.data;
        const denied = textProblem(video, userId);
        const decision = denied ? { ok: false as const, reason: denied } : decideName(name, video.name);
        return decision.ok
          ? reply(command, 'VideoNamed', { videoId, name: decision.value })
          : reply(command, 'VideoNameRejected', { videoId, name, reason: decision.reason });
      }),

    DescribeVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId, description } = command.data;
        const denied = textProblem(video, userId);
        const decision = denied
          ? { ok: false as const, reason: denied }
          : decideDescription(description, video.description);
        return decision.ok
          ? reply(command, 'VideoDescribed', { videoId, description: decision.value })
          : reply(command, 'VideoDescriptionRejected', { videoId, description, reason: decision.reason });
      }),

    // Kept for account deletion, which writes it for each published video: it makes the video a draft.
    UnpublishVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId } = command.data;
        const reason = unpublishProblem(video, userId);
        return reason
          ? reply(command, 'VideoUnpublishRejected', { videoId, reason })
          : reply(command, 'VideoUnpublished', { videoId });
      }),

    SetVideoVisibility: (command) =>
      decide(command, (video, userId) => {
        const { videoId, visibility } = command.data;
        const reason = visibilityProblem(video, userId, visibility);
        return reason
          ? reply(command, 'VideoVisibilityRejected', { videoId, visibility, reason })
          : reply(command, 'VideoVisibilityChanged', { videoId, visibility });
      }),

    // The owner's, or any admin's, in any state. The files go when the transcoding subscriber
    // reads the VideoDeleted (handlers/queueing.ts), so a redelivery removes them again harmlessly.
    DeleteVideo: (command) =>
      decide(command, async (video, userId) => {
        const { videoId } = command.data;
        const { ownerId } = video;
        const reason = await deleteProblem(video, userId, () =>
          wasAdminWhenSent(messageStore, userId, command.globalPosition),
        );
        if (reason || ownerId === undefined)
          return reply(command, 'VideoDeleteRejected', { videoId, reason: reason ?? REJECTION_REASONS.unknownVideo });
        return reply(command, 'VideoDeleted', { videoId, ownerId });
      }),

    ChooseVideoPoster: (command) =>
      decide(command, (video, userId) => {
        const { videoId, candidate } = command.data;
        const posterUri = video.posterCandidateUris[candidate];
        const reason = convertedProblem(video, userId);
        if (reason || posterUri === undefined)
          return reply(command, 'VideoPosterRejected', { videoId, reason: reason ?? REJECTION_REASONS.noSuchPoster });
        return reply(command, 'VideoPosterChanged', { videoId, posterUri });
      }),

    UploadVideoPoster: (command) =>
      decide(
        command,
        async (video, userId) => {
          const { videoId, imageUri } = command.data;
          const outcome = await posterUpload.decide(video, userId, videoId, imageUri);
          return outcome.ok
            ? reply(command, 'VideoPosterChanged', { videoId, posterUri: outcome.posterUri })
            : reply(command, 'VideoPosterRejected', { videoId, reason: outcome.reason });
        },
        (video, userId) => posterUpload.tidy(video, userId, command.data.videoId, command.data.imageUri),
      ),

    // Any video, in any state, by an admin: the sender's role is checked first, so someone who
    // is not an admin learns nothing about the video. A video taken down while it waits for or
    // undergoes transcoding is never published (isSettled).
    TakeDownVideo: (command) =>
      decide(command, async (video, userId) => {
        const { videoId } = command.data;
        const refuse = (reason: string) => reply(command, 'VideoTakeDownRejected', { videoId, reason });
        if (!(await wasAdminWhenSent(messageStore, userId, command.globalPosition)))
          return refuse(REJECTION_REASONS.notAdmin);
        if (video.status === 'unknown') return refuse(REJECTION_REASONS.unknownVideo);
        if (video.status === 'deleted') return refuse(REJECTION_REASONS.deleted);
        if (video.status === 'takenDown') return refuse(REJECTION_REASONS.alreadyTakenDown);
        const decision = decideTakeDownReason(command.data.reason);
        return decision.ok
          ? reply(command, 'VideoTakenDown', { videoId, reason: decision.value })
          : refuse(decision.reason);
      }),
  };
}
