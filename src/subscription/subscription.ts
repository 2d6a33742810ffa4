import type { Logger } from '../logger.ts';
import type { MessageStore } from '../message-store/index.ts';
import { assertCategory } from '../message-store/stream-name.ts';
import { StalledError, type Processor, type ProcessorContext, type SubscriberStats } from './processor.ts';
import { backoffDelay, DEFAULT_RETRY, pause, type RetryPolicy } from './retry.ts';
import { describeError, type SubscriberState, type SubscriberStatus } from './status.ts';

export interface SubscriptionOptions {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** Stable and namespaced (`aggregators:home-page`): renaming it replays the category. */
  readonly subscriberId: string;
  readonly category: string;
  readonly processor: Processor;
  readonly batchSize?: number;
  /** The safety net: notifications wake an idle subscriber at once, polling catches what they miss. */
  readonly pollIntervalMs?: number;
  readonly retry?: RetryPolicy;
  /** Only messages whose correlationStreamName is in this category (filtered by Message DB). */
  readonly correlation?: string;
  readonly consumerGroup?: { readonly member: number; readonly size: number };
}

export interface Subscription {
  readonly subscriberId: string;
  start(): void;
  /** Finishes the message in hand, checkpoints, and resolves once the loop has ended. */
  stop(): Promise<void>;
  /** One read-and-handle step, for tests and tools; returns how many messages it read. */
  tick(): Promise<number>;
  status(): SubscriberStatus;
}

/** Polls one category from the last checkpoint, hands batches to its processor, and keeps a status. */
export function createSubscription(options: SubscriptionOptions): Subscription {
  const { messageStore, processor, category, subscriberId, correlation, consumerGroup } = options;
  assertCategory(category);
  if (consumerGroup && !(consumerGroup.size >= 1 && consumerGroup.member >= 0 && consumerGroup.member < consumerGroup.size)) {
    throw new Error(`Invalid consumer group for ${subscriberId}: member ${consumerGroup.member} of ${consumerGroup.size}`);
  }
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const retry = options.retry ?? DEFAULT_RETRY;
  const logger = options.logger.child({ subscriberId });

  const stats: SubscriberStats = { handled: 0, retries: 0, parked: 0, checkpoint: 0, failure: undefined };
  const stopping = new AbortController();
  const context: ProcessorContext = { signal: stopping.signal, retry, logger, stats };
  let state: SubscriberState = 'starting';
  let position: number | undefined;
  let caughtUp = false;
  let readError: string | undefined;
  let readFailures = 0;
  let loop: Promise<void> | undefined;

  // A write that lands while we read must not be slept through: remember it until the next wait.
  let woken = false;
  let wake: (() => void) | undefined;
  const unsubscribe = messageStore.onWrite(category, () => {
    woken = true;
    wake?.();
  });

  async function waitForWrites(ms: number): Promise<void> {
    if (woken || stopping.signal.aborted) return;
    const waker = new AbortController();
    wake = () => waker.abort();
    const onStop = () => waker.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      await pause(ms, waker.signal);
    } finally {
      wake = undefined;
      stopping.signal.removeEventListener('abort', onStop);
    }
  }

  async function tick(): Promise<number> {
    position ??= await processor.loadPosition();
    stats.checkpoint = Math.max(stats.checkpoint, position);
    woken = false;
    const batch = await messageStore.readCategory(category, {
      fromPosition: position + 1,
      batchSize,
      ...(correlation !== undefined && { correlation }),
      ...(consumerGroup !== undefined && { consumerGroup }),
    });
    readError = undefined;
    readFailures = 0;
    if (batch.length === 0) {
      caughtUp = true;
      await processor.checkpoint(position, context);
      return 0;
    }
    caughtUp = false;
    const last = await processor.process(batch, context);
    if (last > position) position = last;
    return batch.length;
  }

  async function run(): Promise<void> {
    state = 'running';
    while (!stopping.signal.aborted) {
      try {
        const read = await tick();
        if (read === 0) await waitForWrites(pollIntervalMs);
      } catch (error) {
        if (error instanceof StalledError) {
          if (position !== undefined && error.handledUpTo > position) position = error.handledUpTo;
          state = 'stalled';
          stats.failure = error.failure;
          logger.error({ ...error.failure }, 'aggregator stalled: it will not move past this message until restarted');
          return;
        }
        // The store is unreachable or a checkpoint failed: keep trying, more slowly each time.
        readFailures += 1;
        readError = describeError(error);
        const delay = backoffDelay({ ...retry, attempts: Infinity }, readFailures);
        logger.warn({ err: error, delayMs: delay }, 'subscription read failed; will try again');
        await pause(delay, stopping.signal);
      }
    }
  }

  return {
    subscriberId,
    start() {
      if (loop || stopping.signal.aborted) return; // a stopped subscription is not restarted; build a new one
      loop = run().catch((error: unknown) => {
        // run() catches everything it expects; anything else is a bug worth a loud log.
        state = 'stalled';
        readError = describeError(error);
        logger.error({ err: error }, 'subscription loop crashed');
      });
    },
    async stop() {
      stopping.abort();
      unsubscribe();
      await loop;
      if (position !== undefined && state !== 'stalled') {
        try {
          await processor.checkpoint(position, context);
        } catch (error) {
          logger.warn({ err: error }, 'final checkpoint failed; up to one interval of messages will be redelivered');
        }
      }
      if (state !== 'stalled') state = 'stopped';
    },
    tick,
    status: () => ({
      subscriberId,
      category,
      kind: processor.kind,
      state,
      position: position ?? 0,
      checkpoint: stats.checkpoint,
      caughtUp,
      handled: stats.handled,
      retries: stats.retries,
      parked: stats.parked,
      failure: stats.failure,
      readError,
    }),
  };
}
