import type { Logger } from '../../../logger.ts';
import type { RawMessage } from '../../../message-store/index.ts';
import type { ComponentProcessor, ComponentProcessorOptions } from '../../../subscription/component-processor.ts';
import type { RetryPolicy } from '../../../subscription/retry.ts';
import type { Subscription } from '../../../subscription/subscription.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../../contracts/video-publishing.ts';
import { createTranscodeQueue, type CreatorQuota, type TranscodeQueue } from './transcode-queue.ts';
import { createTranscodeWorkers } from './transcode-workers.ts';

/** What the component gives the transcoding subscriber: its engine's factories, bound to its store and group, and the two handlers. */
export interface TranscodingParts {
  /** Names its position and dead-letter streams. */
  readonly subscriberId: string;
  readonly subscribe: (subscriberId: string, category: string, processor: ComponentProcessor) => Subscription;
  readonly processor: (
    subscriberId: string,
    handle: (message: RawMessage) => Promise<void>,
    options?: Pick<ComponentProcessorOptions, 'heldBack' | 'prepare'>,
  ) => ComponentProcessor;
  /** What fills the queue: the handler, and what reads ahead for a batch of it. */
  readonly queueing: (queue: TranscodeQueue) => Pick<ComponentProcessorOptions, 'handle' | 'prepare'>;
  readonly transcoding: (signal: AbortSignal) => (message: RawMessage) => Promise<void>;
  readonly quota: CreatorQuota;
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  readonly resourceWaitMs: number;
  readonly logger: Logger;
}

/**
 * Transcoding, fairly: the subscriber on the component's own events only fills a queue, which
 * takes creators in turn, and `concurrency` workers transcode from it. To the rest of the
 * system it is one subscriber (started, stopped and reported as one): its status counts the
 * workers' retries and parked videos, and its tick() (tests, tools) reads a batch and then
 * transcodes all that is queued.
 */
export function transcodingSubscription(parts: TranscodingParts): Subscription {
  const { subscriberId } = parts;
  const stopping = new AbortController();
  const queue = createTranscodeQueue(parts.quota);
  const { handle, prepare } = parts.queueing(queue);
  const queueing = parts.processor(subscriberId, handle, { heldBack: queue.oldest, prepare });
  // An operator's replay of a parked video transcodes it there and then, as before there was a
  // queue: it may run in a web process, which has no workers to hand it to.
  const processor: ComponentProcessor = {
    ...queueing,
    replay: parts.processor(subscriberId, parts.transcoding(new AbortController().signal)).replay,
  };
  const inner = parts.subscribe(subscriberId, VIDEO_PUBLISHING_CATEGORY, processor);
  const workers = createTranscodeWorkers({
    queue,
    concurrency: parts.concurrency,
    transcode: parts.transcoding,
    park: queueing.park,
    retry: parts.retry,
    resourceWaitMs: parts.resourceWaitMs,
    signal: stopping.signal,
    logger: parts.logger.child({ subscriberId, part: 'transcode workers' }),
  });
  return {
    subscriberId,
    processor,
    start() {
      if (stopping.signal.aborted) return;
      inner.start();
      workers.start();
    },
    async stop() {
      // The engine's stop is raised first, in this turn, and the workers' signal with it: the
      // killed ffmpeg's error is then taken for a stop, and the video is neither retried, parked
      // nor answered. It stays in hand, so the position is stored below it and it comes again.
      const stopped = inner.stop();
      stopping.abort();
      await Promise.all([stopped, workers.stopped()]);
    },
    async tick() {
      const read = await inner.tick();
      await workers.runUntilIdle();
      return read;
    },
    status() {
      const status = inner.status();
      const work = workers.stats;
      return {
        ...status,
        retries: status.retries + work.retries,
        parked: status.parked + work.parked,
        failure: work.failure ?? status.failure,
      };
    },
  };
}
