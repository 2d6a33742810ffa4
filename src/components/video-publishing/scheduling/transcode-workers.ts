import type { Logger } from '../../../logger.ts';
import type { RawMessage } from '../../../message-store/index.ts';
import { logRetry, type ProcessorContext, type SubscriberStats } from '../../../subscription/processor.ts';
import {
  backoffDelay,
  isInfrastructureError,
  isPermanent,
  isResourceExhausted,
  pause,
  type RetryPolicy,
} from '../../../subscription/retry.ts';
import type { QueuedVideo, TranscodeQueue } from './transcode-queue.ts';

export interface TranscodeWorkersOptions {
  readonly queue: TranscodeQueue;
  /** TRANSCODE_CONCURRENCY: transcodes at once. */
  readonly concurrency: number;
  /**
   * The transcoding handler for one video, given the signal that stops its work (the workers'
   * stop, or the video dropped while it runs): an outcome written, or a throw to try again.
   */
  readonly transcode: (signal: AbortSignal) => (accepted: RawMessage) => Promise<void>;
  /** Parks a VideoPublishingAccepted that cannot be transcoded, for an operator (the subscriber's dead-letter stream). */
  readonly park: (accepted: RawMessage, error: unknown, attempts: number, context: ProcessorContext) => Promise<void>;
  readonly retry: RetryPolicy;
  /** How long the machine running short (disk full, read-only, no memory) is waited out before the video is parked. */
  readonly resourceWaitMs: number;
  /** Aborted to stop: the running ffmpeg is killed, and the video stays in hand for the next start. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface TranscodeWorkers {
  /** Runs `concurrency` workers until the signal aborts. */
  start(): void;
  /** Resolves once the started workers have ended (after the signal aborted). */
  stopped(): Promise<void>;
  /** Without start(): transcodes what the queue holds, `concurrency` at a time, until it is empty (tests and tools). */
  runUntilIdle(): Promise<void>;
  /** Counters, in the subscriber's terms: handled, retries, parked, the last failure. */
  readonly stats: SubscriberStats;
}

// A shortage is looked at again at least this often, however long it lasts.
const RESOURCE_MAX_DELAY_MS = 30_000;

/**
 * The transcoders: each takes the next video from the fair queue and sees it through. The
 * engine's retry policy applies to faults (ffmpeg killed, a poster that will not come): after
 * its attempts the handler itself writes the video's failure, or, before a transcode started,
 * the acceptance is parked. The message store being down is waited out for as long as it
 * takes, and the machine running short of disk or memory for `resourceWaitMs`, then parked
 * (the upload kept) for the operator who frees the space to replay.
 */
export function createTranscodeWorkers(options: TranscodeWorkersOptions): TranscodeWorkers {
  const { queue, concurrency, signal, retry, now = Date.now } = options;
  const stats: SubscriberStats = {
    handled: 0,
    retries: 0,
    parked: 0,
    skipped: 0,
    checkpoint: 0,
    failure: undefined,
    lastSkipped: undefined,
  };
  const context: ProcessorContext = { signal, retry, logger: options.logger, stats };
  const running: Promise<void>[] = [];
  // One per video being seen: aborted when the queue drops it (taken down, unpublished), so its
  // ffmpeg stops instead of converting for an hour a video no one may watch.
  const cancels = new Map<string, AbortController>();
  queue.onCancel((videoId) => cancels.get(videoId)?.abort());

  /** Resolves at the queue's next change, or at the stop. */
  function nextChange(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const unsubscribe = queue.onChange(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Keeps at `step` (parking, which writes) through an outage, until it is done or the stop. */
  async function persist(step: () => Promise<void>): Promise<boolean> {
    for (let failures = 1; !signal.aborted; failures += 1) {
      try {
        await step();
        return true;
      } catch (error) {
        const delay = backoffDelay({ ...retry, attempts: Infinity }, failures);
        options.logger.warn({ err: error, delayMs: delay }, 'could not park a video; trying again');
        await pause(delay, signal);
      }
    }
    return false;
  }

  /** One video, through retries and waits: 'done' (an outcome, parked, or no longer wanted) or 'stopped'. */
  async function see(video: QueuedVideo): Promise<'done' | 'stopped'> {
    const cancel = new AbortController();
    cancels.set(video.videoId, cancel);
    try {
      return await seeThrough(video, cancel.signal);
    } finally {
      cancels.delete(video.videoId);
    }
  }

  async function seeThrough(video: QueuedVideo, cancelled: AbortSignal): Promise<'done' | 'stopped'> {
    const { accepted } = video;
    const transcode = options.transcode(AbortSignal.any([signal, cancelled]));
    let failures = 0;
    let waits = 0;
    let shortSince: number | undefined;
    for (;;) {
      try {
        await transcode(accepted);
        stats.handled += 1;
        return 'done';
      } catch (error) {
        if (signal.aborted && !isPermanent(error)) return 'stopped';
        // Its outcome was written elsewhere meanwhile: nothing left to do, and nothing to retry.
        if (cancelled.aborted) return 'done';
        let delay: number;
        if (isResourceExhausted(error) || isInfrastructureError(error)) {
          waits += 1;
          shortSince = isResourceExhausted(error) ? (shortSince ?? now()) : undefined;
          if (shortSince !== undefined && now() - shortSince >= options.resourceWaitMs) {
            return (await persist(() => options.park(accepted, error, failures + waits, context))) ? 'done' : 'stopped';
          }
          delay = backoffDelay(
            { ...retry, attempts: Infinity, maxDelayMs: Math.max(retry.maxDelayMs, RESOURCE_MAX_DELAY_MS) },
            waits,
          );
        } else {
          failures += 1;
          if (isPermanent(error) || failures >= retry.attempts) {
            return (await persist(() => options.park(accepted, error, failures, context))) ? 'done' : 'stopped';
          }
          delay = backoffDelay(retry, failures);
        }
        logRetry(context, accepted)(error, failures + waits, delay);
        await pause(delay, AbortSignal.any([signal, cancelled]));
        if (signal.aborted) return 'stopped';
        if (cancelled.aborted) return 'done';
      }
    }
  }

  async function work(untilIdle: boolean): Promise<void> {
    while (!signal.aborted) {
      const video = queue.take();
      if (!video) {
        const { queued, running: busy } = queue.counts();
        if (untilIdle && queued === 0 && busy === 0) return;
        await nextChange();
        continue;
      }
      // A stopped video stays in hand: the subscription's position is held below it, so the next start reads it again.
      if ((await see(video)) === 'done') queue.done(video.videoId);
    }
  }

  return {
    stats,
    start() {
      if (running.length > 0) return;
      for (let n = 0; n < concurrency; n += 1) {
        running.push(
          work(false).catch((error: unknown) => options.logger.error({ err: error }, 'a transcode worker crashed')),
        );
      }
    },
    async stopped() {
      await Promise.all(running);
    },
    async runUntilIdle() {
      await Promise.all(Array.from({ length: concurrency }, () => work(true)));
    },
  };
}
