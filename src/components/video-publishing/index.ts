import type { Logger } from '../../logger.ts';
import { createDispatcher, SOLE_MEMBER, type ConsumerGroup, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import { createComponentProcessor } from '../../subscription/component-processor.ts';
import { DEFAULT_RETRY } from '../../subscription/retry.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import type { VideoStore } from '../../video-store/index.ts';
import {
  VIDEO_PUBLISHING_CATEGORY,
  VIDEO_PUBLISHING_COMMAND_CATEGORY,
  videoPublishingCommandSchemas,
  videoPublishingEventSchemas,
} from './contract.ts';
import { createCommandHandlers } from './handlers/commands.ts';
import { createTranscodingHandlers } from './handlers/transcoding.ts';
import { transcodeLimits, type TranscodeLimits } from './media/limits.ts';
import { createSandbox, DEFAULT_SANDBOX_TOOLS, type SandboxTools } from './media/sandbox.ts';

export { DEFAULT_TRANSCODE_LIMITS, type TranscodeLimits } from './media/limits.ts';

/** Subscriber ids name position and dead-letter streams: renaming one replays its category. */
export const VIDEO_PUBLISHING_SUBSCRIBER_IDS = {
  commands: 'components:video-publishing:commands',
  transcoding: 'components:video-publishing:transcoding',
} as const;

const DEFAULT_PROGRESS_INTERVAL_MS = 3_000;
const MAX_TRANSCODE_CONCURRENCY = 64;

type SubscriptionSettings = Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;

export interface VideoPublishingComponentDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly videoStore: VideoStore;
  readonly ffmpegPath: string;
  readonly ffprobePath: string;
  /** TRANSCODE_CONCURRENCY: transcodes this process runs at once; 1 unless given. Every process must use the same. */
  readonly transcodeConcurrency?: number;
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
  /** The command subscriber first, then one transcoding subscriber per concurrent transcode. */
  readonly subscriptions: Subscription[];
  /** What the subscriptions hand each message to; for tests and replays (the transcoding one is never stopped). */
  readonly handlers: {
    readonly commands: (message: RawMessage) => Promise<void>;
    readonly transcoding: (message: RawMessage) => Promise<void>;
  };
}

/**
 * The transcoders share the category as members of a consumer group, one per concurrent
 * transcode, nested inside the process's own group: member m of s runs members m·n … m·n+n−1
 * of s·n. Message DB gives each video's stream to one member, so each video is transcoded
 * by one subscriber, one at a time.
 */
function transcodingGroup({ member, size }: ConsumerGroup, concurrency: number, slot: number): ConsumerGroup {
  return { member: member * concurrency + slot, size: size * concurrency };
}

/**
 * The video-publishing component: accepts uploads for publishing, transcodes them to web MP4
 * with a poster, and names, describes and unpublishes videos for their owners.
 */
export function createVideoPublishingComponent(deps: VideoPublishingComponentDeps): VideoPublishingComponent {
  const { messageStore, videoStore, consumerGroup = SOLE_MEMBER, transcodeConcurrency = 1, subscription: settings } = deps;
  if (!Number.isInteger(transcodeConcurrency) || transcodeConcurrency < 1 || transcodeConcurrency > MAX_TRANSCODE_CONCURRENCY) {
    throw new Error(`transcodeConcurrency must be a whole number from 1 to ${MAX_TRANSCODE_CONCURRENCY}, not ${transcodeConcurrency}`);
  }
  const logger = deps.logger.child({ component: 'video-publishing' });
  const sandbox = createSandbox({ ...DEFAULT_SANDBOX_TOOLS, ...deps.sandboxTools }, (layer, why) =>
    logger.warn({ why }, `ffmpeg runs without ${layer}: this machine does not allow it`),
  );
  const tools = { ffmpegPath: deps.ffmpegPath, ffprobePath: deps.ffprobePath, sandbox };
  const progressIntervalMs = deps.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const limits = transcodeLimits(deps.limits);
  // The transcoder must know which try is the subscription's last, to fail the video then rather than let it be parked.
  const retryAttempts = settings?.retry?.attempts ?? DEFAULT_RETRY.attempts;
  const transcodingHandler = (signal: AbortSignal) =>
    createDispatcher(
      videoPublishingEventSchemas,
      createTranscodingHandlers({ messageStore, logger, videoStore, tools, signal, progressIntervalMs, limits, retryAttempts }),
    );

  const subscribe = (subscriberId: string, category: string, group: ConsumerGroup, handle: (message: RawMessage) => Promise<void>): Subscription =>
    createSubscription({
      messageStore,
      logger,
      subscriberId,
      category,
      consumerGroup: group,
      processor: createComponentProcessor({ messageStore, subscriberId, handle, consumerGroup: group }),
      ...settings,
    });

  const commands = createDispatcher(videoPublishingCommandSchemas, createCommandHandlers({ messageStore, logger }));
  const transcoders = Array.from({ length: transcodeConcurrency }, (_, slot) => {
    const stopping = new AbortController();
    const group = transcodingGroup(consumerGroup, transcodeConcurrency, slot);
    const inner = subscribe(VIDEO_PUBLISHING_SUBSCRIBER_IDS.transcoding, VIDEO_PUBLISHING_CATEGORY, group, transcodingHandler(stopping.signal));
    return {
      ...inner,
      async stop() {
        // The engine's stop is raised first, in this turn, so when the killed ffmpeg's error
        // reaches it, it takes it for a stop: the event is neither retried, parked nor
        // answered, and comes again at the next start.
        const stopped = inner.stop();
        stopping.abort();
        await stopped;
      },
    };
  });

  return {
    subscriptions: [subscribe(VIDEO_PUBLISHING_SUBSCRIBER_IDS.commands, VIDEO_PUBLISHING_COMMAND_CATEGORY, consumerGroup, commands), ...transcoders],
    handlers: { commands, transcoding: transcodingHandler(new AbortController().signal) },
  };
}
