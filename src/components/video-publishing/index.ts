import type { Logger } from '../../logger.ts';
import { createDispatcher } from '../../contracts/parse.ts';
import { SOLE_MEMBER, type ConsumerGroup, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import {
  createComponentProcessor,
  type ComponentProcessor,
  type ComponentProcessorOptions,
} from '../../subscription/component-processor.ts';
import { DEFAULT_RETRY } from '../../subscription/retry.ts';
import { createSubscription, type Subscription, type SubscriptionSettings } from '../../subscription/subscription.ts';
import type { VideoStore } from '../../video-store/index.ts';
import {
  VIDEO_PUBLISHING_COMMAND_CATEGORY,
  videoPublishingCommandSchemas,
  videoPublishingEventSchemas,
} from '../../contracts/video-publishing.ts';
import { createCommandHandlers } from './handlers/commands.ts';
import { createQueueingHandlers, createSettledLookahead } from './handlers/queueing.ts';
import { createTranscodingHandlers } from './handlers/transcoding.ts';
import { transcodeLimits, type TranscodeLimits } from './media/limits.ts';
import { createSandbox, DEFAULT_SANDBOX_TOOLS, type SandboxTools } from './media/sandbox.ts';
import { DEFAULT_CREATOR_QUOTA, type CreatorQuota } from './scheduling/transcode-queue.ts';
import { transcodingSubscription } from './scheduling/transcoding-subscription.ts';

export { DEFAULT_TRANSCODE_LIMITS, type TranscodeLimits } from './media/limits.ts';
export { DEFAULT_CREATOR_QUOTA, type CreatorQuota } from './scheduling/transcode-queue.ts';

/** Subscriber ids name position and dead-letter streams: renaming one replays its category. */
export const VIDEO_PUBLISHING_SUBSCRIBER_IDS = {
  commands: 'components:video-publishing:commands',
  transcoding: 'components:video-publishing:transcoding',
} as const;

const DEFAULT_PROGRESS_INTERVAL_MS = 3_000;
const MAX_TRANSCODE_CONCURRENCY = 64;
export const DEFAULT_RESOURCE_WAIT_MS = 30 * 60 * 1000;

export interface VideoPublishingComponentDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly videoStore: VideoStore;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** TRANSCODE_CONCURRENCY: transcodes this process runs at once; 1 unless given. */
  readonly transcodeConcurrency?: number;
  /** How many videos one creator may have transcoding and waiting in this process; DEFAULT_CREATOR_QUOTA unless given. */
  readonly creatorQuota?: CreatorQuota;
  /** How long a transcode waits out a full or read-only disk or a lack of memory before it is parked; DEFAULT_RESOURCE_WAIT_MS unless given. */
  readonly resourceWaitMs?: number;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: SubscriptionSettings;
  /** Least time between two progress events of one transcode. */
  readonly progressIntervalMs?: number;
  /** What one upload may cost: its length, picture size, output size and transcode time; DEFAULT_TRANSCODE_LIMITS for any not given. */
  readonly limits?: Partial<TranscodeLimits>;
  /**
   * util-linux's setpriv, prlimit and unshare, through which ffmpeg and ffprobe run (see
   * media/sandbox.ts); DEFAULT_SANDBOX_TOOLS for any not given, null for none. One that cannot
   * be used is left out, and a warning says so once.
   */
  readonly sandboxTools?: Partial<SandboxTools>;
}

export interface VideoPublishingComponent {
  /** The command subscriber, then the transcoding one (which runs the transcode workers with it). */
  readonly subscriptions: Subscription[];
  /** What the subscriptions hand each message to; for tests and replays (the transcoding one transcodes at once, never stopped). */
  readonly handlers: {
    readonly commands: (message: RawMessage) => Promise<void>;
    readonly transcoding: (message: RawMessage) => Promise<void>;
  };
}

/**
 * The video-publishing component: accepts uploads for publishing, transcodes them to web MP4
 * with a poster and candidate frames, and names, describes, changes the visibility and poster
 * of, and deletes videos for their owners (deletes and takes down for admins).
 */
export function createVideoPublishingComponent(deps: VideoPublishingComponentDeps): VideoPublishingComponent {
  const {
    messageStore,
    videoStore,
    consumerGroup = SOLE_MEMBER,
    transcodeConcurrency = 1,
    subscription: settings,
  } = deps;
  if (
    !Number.isInteger(transcodeConcurrency) ||
    transcodeConcurrency < 1 ||
    transcodeConcurrency > MAX_TRANSCODE_CONCURRENCY
  ) {
    throw new Error(
      `transcodeConcurrency must be a whole number from 1 to ${MAX_TRANSCODE_CONCURRENCY}, not ${transcodeConcurrency}`,
    );
  }
  const logger = deps.logger.child({ component: 'video-publishing' });
  const sandbox = createSandbox({ ...DEFAULT_SANDBOX_TOOLS, ...deps.sandboxTools }, (layer, why) =>
    logger.warn({ why }, `ffmpeg runs without ${layer}: this machine does not allow it`),
  );
  const tools = { ffmpegPath: deps.ffmpegPath, ffprobePath: deps.ffprobePath, sandbox };
  logger.info({ ffmpeg: tools.ffmpegPath, ffprobe: tools.ffprobePath }, 'uploads are decoded with these');
  const progressIntervalMs = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const limits = transcodeLimits(deps.limits);
  const retry = settings?.retry ?? DEFAULT_RETRY;
  const quota = deps.creatorQuota ?? DEFAULT_CREATOR_QUOTA;
  const transcodingHandler = (signal: AbortSignal) =>
    createDispatcher(
      videoPublishingEventSchemas,
      // The transcoder must know which try is the last, to fail the video then rather than let it be parked.
      createTranscodingHandlers({
        messageStore,
        logger,
        videoStore,
        tools,
        signal,
        progressIntervalMs,
        limits,
        retryAttempts: retry.attempts,
      }),
    );

  const subscribe = (subscriberId: string, category: string, processor: ComponentProcessor): Subscription =>
    createSubscription({ messageStore, logger, subscriberId, category, consumerGroup, processor, ...settings });
  const processor = (
    subscriberId: string,
    handle: (message: RawMessage) => Promise<void>,
    options: Pick<ComponentProcessorOptions, 'heldBack' | 'prepare'> = {},
  ): ComponentProcessor => createComponentProcessor({ messageStore, subscriberId, handle, consumerGroup, ...options });

  const commands = createDispatcher(
    videoPublishingCommandSchemas,
    createCommandHandlers({ messageStore, logger, videoStore, tools, limits }),
  );
  const transcoding = transcodingSubscription({
    subscriberId: VIDEO_PUBLISHING_SUBSCRIBER_IDS.transcoding,
    subscribe,
    processor,
    queueing: (queue) => {
      const lookahead = createSettledLookahead(messageStore);
      return {
        handle: createDispatcher(
          videoPublishingEventSchemas,
          createQueueingHandlers({ messageStore, logger, videoStore, queue, quota, lookahead }),
        ),
        prepare: lookahead.prepare,
      };
    },
    transcoding: transcodingHandler,
    quota,
    concurrency: transcodeConcurrency,
    retry,
    resourceWaitMs: deps.resourceWaitMs ?? DEFAULT_RESOURCE_WAIT_MS,
    logger,
  });

  return {
    subscriptions: [
      subscribe(
        VIDEO_PUBLISHING_SUBSCRIBER_IDS.commands,
        VIDEO_PUBLISHING_COMMAND_CATEGORY,
        processor(VIDEO_PUBLISHING_SUBSCRIBER_IDS.commands, commands),
      ),
      transcoding,
    ],
    handlers: { commands, transcoding: transcodingHandler(new AbortController().signal) },
  };
}
