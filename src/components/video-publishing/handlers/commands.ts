import type { Logger } from '../../../logger.ts';
import { follow, type HandlerMap, type Message, type MessageStore, type Recorded } from '../../../message-store/index.ts';
import { uriOfKey, videoKeys } from '../../../video-store/index.ts';
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
import { videoProjection, type Video } from '../video.ts';

const notBuiltYet = (): Promise<void> => Promise.reject(new Error('not built yet'));

type Command<T extends VideoPublishingCommand['type']> = Recorded<Extract<VideoPublishingCommand, { type: T }>>;

interface Deps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
}

/** Who may change a video: it must exist, and the sender must own it. */
function accessProblem(video: Video, userId: string): string | undefined {
  if (video.status === 'unknown') return REJECTION_REASONS.unknownVideo;
  if (video.ownerId !== userId) return REJECTION_REASONS.notOwner;
  return undefined;
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
 * PublishVideo, NameVideo, DescribeVideo, UnpublishVideo and TakeDownVideo. None of them waits for a
 * transcode: PublishVideo only accepts the video (the transcoding subscriber does the work),
 * so a rename queued behind a publish is answered at once. Each handler reads the video,
 * returns if the command was answered already, decides, and writes one event at the version
 * it read with an id derived from the command: a redelivery finds its answer, a race is
 * caught by the version (the engine retries, and the retry finds the answer), and a write
 * repeated after a lost reply is deduplicated by the store.
 */
export function createCommandHandlers({ messageStore, logger }: Deps): Required<HandlerMap<VideoPublishingCommand>> {
  async function decide<T extends VideoPublishingCommand['type']>(
    command: Command<T>,
    answer: (video: Video, userId: string) => Message | undefined | Promise<Message | undefined>,
  ): Promise<void> {
    const userId = requesterOf(command);
    const { videoId } = command.data;
    const log = logger.child({ videoId, commandId: command.id, type: command.type });
    const stream = videoPublishingStreamName(videoId);
    const { state, version } = await messageStore.project(stream, videoProjection);
    if (state.handled.has(command.globalPosition)) {
      log.debug('command already answered; ignored');
      return;
    }
    const event = await answer(state, userId);
    if (!event) {
      log.debug({ status: state.status }, 'nothing to do');
      return;
    }
    await messageStore.write(stream, event, version);
    log.info({ answer: event.type }, 'command answered');
  }

  const reply = <T extends string, D>(command: Command<VideoPublishingCommand['type']>, type: T, data: D): Message<T, D> =>
    follow(command, type, data, {}, answerId(command.id, type));

  return {
    PublishVideo: (command) =>
      decide(command, async (video, userId) => {
        const reason = publishProblem(command.data, userId);
        // A rejection leaves the video as it was: the owner's own PublishVideo still goes through.
        if (reason) return reply(command, 'VideoPublishingRejected', { ...command.data, reason });
        // A video is published once: a PublishVideo for one already accepted is a duplicate
        // (the form posted twice), and a failed upload is retried under a new video id.
        if (video.status !== 'unknown') return undefined;
        // An upload still on its way when its creator was erased: the erasure took down the
        // videos it could see, and this one would otherwise be published with nobody's consent.
        if (await isErased(messageStore, userId)) return reply(command, 'VideoPublishingRejected', { ...command.data, reason: REJECTION_REASONS.ownerErased });
        return reply(command, 'VideoPublishingAccepted', command.data);
      }),

    NameVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId, name } = command.data;
        const denied = accessProblem(video, userId);
        const decision = denied ? { ok: false as const, reason: denied } : decideName(name, video.name);
        return decision.ok
          ? reply(command, 'VideoNamed', { videoId, name: decision.value })
          : reply(command, 'VideoNameRejected', { videoId, name, reason: decision.reason });
      }),

    DescribeVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId, description } = command.data;
        const denied = accessProblem(video, userId);
        const decision = denied ? { ok: false as const, reason: denied } : decideDescription(description, video.description);
        return decision.ok
          ? reply(command, 'VideoDescribed', { videoId, description: decision.value })
          : reply(command, 'VideoDescriptionRejected', { videoId, description, reason: decision.reason });
      }),

    UnpublishVideo: (command) =>
      decide(command, (video, userId) => {
        const { videoId } = command.data;
        const reason = accessProblem(video, userId) ?? (video.status === 'published' ? undefined : REJECTION_REASONS.notPublished);
        return reason ? reply(command, 'VideoUnpublishRejected', { videoId, reason }) : reply(command, 'VideoUnpublished', { videoId });
      }),

    // Placeholders on the issue-18 branch, replaced by the component's work before it reaches main.
    SetVideoVisibility: notBuiltYet,
    DeleteVideo: notBuiltYet,
    ChooseVideoPoster: notBuiltYet,
    UploadVideoPoster: notBuiltYet,

    // Any video, in any state, by an admin: the sender's role is checked first, so someone who
    // is not an admin learns nothing about the video. A video taken down while it waits for or
    // undergoes transcoding is never published (isSettled).
    TakeDownVideo: (command) =>
      decide(command, async (video, userId) => {
        const { videoId } = command.data;
        const refuse = (reason: string) => reply(command, 'VideoTakeDownRejected', { videoId, reason });
        if (!(await wasAdminWhenSent(messageStore, userId, command.globalPosition))) return refuse(REJECTION_REASONS.notAdmin);
        if (video.status === 'unknown') return refuse(REJECTION_REASONS.unknownVideo);
        if (video.status === 'takenDown') return refuse(REJECTION_REASONS.alreadyTakenDown);
        const decision = decideTakeDownReason(command.data.reason);
        return decision.ok ? reply(command, 'VideoTakenDown', { videoId, reason: decision.value }) : refuse(decision.reason);
      }),
  };
}
