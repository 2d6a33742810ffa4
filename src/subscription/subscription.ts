import { DEFAULTS, MAX_TIMER_MS } from '../config/defaults.ts';
import type { Logger } from '../logger.ts';
import {
  ANY_CATEGORY,
  assertCategory,
  SOLE_MEMBER,
  type AllMessagesReader,
  type Claim,
  type ConsumerGroup,
  type MessageStore,
  type RawMessage,
} from '../message-store/index.ts';
import { StalledError, type Processor, type ProcessorContext, type SubscriberStats } from './processor.ts';
import { backoffDelay, DEFAULT_RETRY, pause, type RetryPolicy } from './retry.ts';
import { describeError, type SubscriberState, type SubscriberStatus } from './status.ts';
import type { SubscriberTurns } from './turns.ts';

/** Subscribe to this instead of a category to read every category, up to the safe horizon. */
export const ALL_CATEGORIES = '$all';
// How soon to look again when the all-categories reader waits at a gap.
const GAP_RETRY_MS = 25;
const MAX_STANDBY_RETRY_MS = 2_000;

export interface SubscriptionOptions {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** Stable and namespaced (`aggregators:home-page`): renaming it replays the category. */
  readonly subscriberId: string;
  /** A category, or ALL_CATEGORIES. */
  readonly category: string;
  readonly processor: Processor;
  /** How many messages a read asks for when live, and after any read that came back short. */
  readonly batchSize?: number;
  /**
   * While catching up, each full batch doubles the next read up to this many (never below
   * batchSize): fewer reads and transactions for a backlog, small batches when live. Subscribers
   * in step grow alike, so they keep sharing their reads (withSharedReads).
   */
  readonly maxBatchSize?: number;
  /** The safety net: wake-ups rouse an idle subscriber at once, polling catches what they miss. */
  readonly pollIntervalMs?: number;
  readonly retry?: RetryPolicy;
  /** Only messages whose correlationStreamName is in this category (filtered by Message DB). */
  readonly correlation?: string;
  /** Must match the processor's: positions are kept per member. */
  readonly consumerGroup?: ConsumerGroup;
  /**
   * The process's turns (turns.ts): a foreground subscriber says when it has work in hand, one of
   * the background lets it go first. Without it, or without a priority, neither.
   */
  readonly turns?: SubscriberTurns;
  readonly priority?: 'foreground' | 'background';
}

/** What a process may tune of every subscription it runs (SUBSCRIBER_* settings; tests shorten them). */
export type SubscriptionSettings = Partial<
  Pick<SubscriptionOptions, 'batchSize' | 'maxBatchSize' | 'pollIntervalMs' | 'retry'>
>;

export interface Subscription {
  readonly subscriberId: string;
  /** What applies its messages (a component's can replay what it parked). */
  readonly processor: Processor;
  /** Claims its group member, then runs until stop(); waits in standby while another process holds the member. */
  start(): void;
  /** Finishes the message in hand, checkpoints, and resolves once the loop has ended. */
  stop(): Promise<void>;
  /** One read-and-handle step without claiming the member, for tests and tools; returns how many messages it read. */
  tick(): Promise<number>;
  status(): SubscriberStatus;
}

type Source = (fromPosition: number, batchSize: number) => Promise<{ messages: RawMessage[]; waiting: boolean }>;

function validate(options: SubscriptionOptions, group: ConsumerGroup): void {
  const { subscriberId, category, pollIntervalMs, batchSize } = options;
  if (category !== ALL_CATEGORIES) assertCategory(category);
  if (!(
    Number.isInteger(group.size) &&
    group.size >= 1 &&
    Number.isInteger(group.member) &&
    group.member >= 0 &&
    group.member < group.size
  )) {
    throw new Error(`Invalid consumer group for ${subscriberId}: member ${group.member} of ${group.size}`);
  }
  if (category === ALL_CATEGORIES && (group.size !== 1 || options.correlation !== undefined)) {
    throw new Error(`${subscriberId}: the all-categories reader takes no consumer group or correlation`);
  }
  // A component writes its position to the store: reading every category, it would read its own
  // position writes and write again, for ever. Reading everything is for projections.
  if (category === ALL_CATEGORIES && options.processor.kind !== 'aggregator') {
    throw new Error(`${subscriberId}: only an aggregator may read every category`);
  }
  if (
    pollIntervalMs !== undefined &&
    !(Number.isInteger(pollIntervalMs) && pollIntervalMs >= 1 && pollIntervalMs <= MAX_TIMER_MS)
  ) {
    throw new Error(`${subscriberId}: poll interval must be a whole number of ms from 1 to ${MAX_TIMER_MS}`);
  }
  for (const size of [batchSize, options.maxBatchSize])
    if (size !== undefined && !(Number.isInteger(size) && size >= 1))
      throw new Error(`${subscriberId}: batch size must be a positive integer`);
}

function sourceFor(options: SubscriptionOptions, group: ConsumerGroup): Source {
  const { messageStore, category, correlation } = options;
  if (category === ALL_CATEGORIES) {
    const reader: AllMessagesReader = messageStore.allMessagesReader();
    return (from, batchSize) => reader.read(from, batchSize);
  }
  return async (from, batchSize) => ({
    messages: await messageStore.readCategory(category, {
      fromPosition: from,
      batchSize,
      ...(correlation !== undefined && { correlation }),
      ...(group.size > 1 && { consumerGroup: group }),
    }),
    waiting: false,
  });
}

/** Reads one category (or all) from the last checkpoint, hands batches to its processor, and keeps a status. */
export function createSubscription(options: SubscriptionOptions): Subscription {
  const { messageStore, processor, category, subscriberId } = options;
  const group = options.consumerGroup ?? SOLE_MEMBER;
  validate(options, group);
  const batchSize = options.batchSize ?? DEFAULTS.subscriberBatchSize;
  const maxBatchSize = Math.max(batchSize, options.maxBatchSize ?? DEFAULTS.subscriberMaxBatchSize);
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.subscriberPollIntervalMs;
  const retry = options.retry ?? DEFAULT_RETRY;
  const logger = options.logger.child({
    subscriberId,
    ...(group.size > 1 && { member: group.member, size: group.size }),
  });
  const read = sourceFor(options, group);

  const stats: SubscriberStats = {
    handled: 0,
    retries: 0,
    parked: 0,
    skipped: 0,
    checkpoint: 0,
    failure: undefined,
    lastSkipped: undefined,
  };
  const stopping = new AbortController();
  // Work stops at the next message on stop(), and also when the claim on the member is lost:
  // another process may already be running it.
  let context: ProcessorContext = { signal: stopping.signal, retry, logger, stats };
  let state: SubscriberState = 'starting';
  let standbyReason: string | undefined;
  let position: number | undefined;
  let nextBatchSize = batchSize;
  let caughtUp = false;
  let waitingAtGap = false;
  let readError: string | undefined;
  let readFailures = 0;
  let loop: Promise<void> | undefined;
  let claim: Claim | undefined;

  const { turns, priority } = options;
  // This subscription, as the turns know it. Stalled or standing by, it has nothing in hand.
  const self = {};
  const busy = () => {
    if (priority === 'foreground' && (state === 'starting' || state === 'running')) turns?.busy(self);
  };
  const idle = () => {
    if (priority === 'foreground') turns?.idle(self);
  };

  // A write that lands while we read must not be slept through: remember it until the next wait.
  let woken = false;
  let wake: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;

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

  /**
   * One read and what came of it: `read`, how many messages it brought; `atHead`, whether it
   * found the end of what there is (and everything read was handled), so the loop waits to be
   * woken rather than read again only to find nothing.
   */
  async function step(): Promise<{ read: number; atHead: boolean }> {
    if (position === undefined) {
      position = await processor.loadPosition();
      // What is stored from here on, the processor reports: the position read may run ahead of it.
      stats.checkpoint = Math.max(stats.checkpoint, position);
    }
    woken = false;
    const asked = nextBatchSize;
    const { messages, waiting } = await read(position + 1, asked);
    nextBatchSize = messages.length === asked && !waiting ? Math.min(maxBatchSize, asked * 2) : batchSize;
    readError = undefined;
    readFailures = 0;
    waitingAtGap = waiting;
    // Fewer than asked for, and not cut short at a gap: the read reached the end of what there was.
    const live = messages.length < asked && !waiting;
    // Only a live batch waits its turn: in a catch-up the wait left the cores idle while the
    // foreground waited on its round trips, and every subscriber took longer to catch up.
    if (priority === 'background' && turns && messages.length > 0 && live) await turns.backgroundTurn(context.signal);
    // A stop that came while we were reading: leave the batch for the next start.
    if (stopping.signal.aborted) return { read: 0, atHead: false };
    if (messages.length === 0) {
      caughtUp = !waiting;
      position = await processor.caughtUp(position, context);
      return { read: 0, atHead: true };
    }
    caughtUp = false;
    position = await processor.process(messages, position, context);
    // A short batch, handled to its end, reached the end of what there was when read. Unless a
    // write has woken us since that read began (a wake-up comes after its commit), reading again
    // at once would only find nothing: that read was one more per subscriber per wake-up. Under a
    // stream of writes, woken is mostly set, and the next read comes at once as before, with no
    // caught-up step between (a component stores its position then).
    const atHead = !woken && live && position >= messages.at(-1)!.globalPosition;
    if (!atHead) return { read: messages.length, atHead };
    caughtUp = true;
    position = await processor.caughtUp(position, context);
    return { read: messages.length, atHead };
  }

  async function tick(): Promise<number> {
    return (await step()).read;
  }

  /** Waits until this process may run the member; false when stopped first. */
  async function claimMember(): Promise<boolean> {
    let attempt = 0;
    while (!stopping.signal.aborted) {
      try {
        const result = await messageStore.membership.claim(subscriberId, group);
        if (result.ok) {
          claim = result.claim;
          context = { ...context, signal: AbortSignal.any([stopping.signal, claim.lost]) };
          standbyReason = undefined;
          if (state === 'standby') logger.info('took over: running');
          // Another process may have moved the position while we waited.
          position = undefined;
          return true;
        }
        // Info, not a warning: another process running the member is how a group shares work
        // (and how the admin CLI defers to a running app); nothing is wrong and nothing to do.
        if (standbyReason !== result.reason) logger.info({ reason: result.reason }, 'standing by');
        standbyReason = result.reason;
      } catch (error) {
        standbyReason = describeError(error);
      }
      state = 'standby';
      idle();
      attempt += 1;
      await pause(Math.min(pollIntervalMs, MAX_STANDBY_RETRY_MS, 100 * attempt), stopping.signal);
    }
    return false;
  }

  async function run(): Promise<void> {
    if (!(await claimMember())) return;
    state = 'running';
    while (!stopping.signal.aborted) {
      if (claim && !claim.held) {
        logger.warn('lost the claim on this member (session connection dropped); claiming again');
        claim = undefined;
        if (!(await claimMember())) return;
        state = 'running';
      }
      try {
        busy();
        const { atHead } = await step();
        if (atHead) {
          // Caught up: unless a write came meanwhile, nothing is in hand until the next.
          if (!woken) idle();
          await waitForWrites(waitingAtGap ? GAP_RETRY_MS : pollIntervalMs);
        }
      } catch (error) {
        idle();
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
    processor: options.processor,
    start() {
      if (loop || stopping.signal.aborted) return; // a stopped subscription is not restarted; build a new one
      unsubscribe = messageStore.onWrite(category === ALL_CATEGORIES ? ANY_CATEGORY : category, () => {
        woken = true;
        wake?.();
      });
      busy(); // it catches up first
      loop = run()
        .finally(idle)
        .catch((error: unknown) => {
          // run() catches everything it expects; anything else is a bug worth a loud log.
          state = 'stalled';
          readError = describeError(error);
          logger.error({ err: error }, 'subscription loop crashed');
        });
    },
    async stop() {
      stopping.abort();
      unsubscribe?.();
      await loop;
      if (position !== undefined && state !== 'stalled' && state !== 'standby') {
        try {
          await processor.checkpoint(position, context);
        } catch (error) {
          logger.warn({ err: error }, 'final checkpoint failed; up to one interval of messages will be redelivered');
        }
      }
      await claim?.release().catch(() => undefined);
      if (state !== 'stalled') state = 'stopped';
    },
    tick,
    status: () => ({
      subscriberId,
      category,
      kind: processor.kind,
      consumerGroup: group,
      state,
      standbyReason,
      position: position ?? 0,
      checkpoint: stats.checkpoint,
      caughtUp,
      waitingAtGap,
      handled: stats.handled,
      retries: stats.retries,
      parked: stats.parked,
      skipped: stats.skipped,
      lastSkipped: stats.lastSkipped,
      failure: stats.failure,
      readError,
    }),
  };
}
