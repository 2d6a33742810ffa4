import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MAX_TIMER_MS } from '../../config/defaults.ts';
import { parseMessage } from '../../contracts/parse.ts';
import type { Logger } from '../../logger.ts';
import {
  derivedMessageId,
  follow,
  MessageDataError,
  SOLE_MEMBER,
  VersionConflictError,
  type ConsumerGroup,
  type MessageStore,
  type RawMessage,
  type Recorded,
} from '../../message-store/index.ts';
import { componentPositionStream } from '../../subscription/component-processor.ts';
import type { Processor, ProcessorContext } from '../../subscription/processor.ts';
import { createSubscription, type Subscription, type SubscriptionSettings } from '../../subscription/subscription.ts';
import {
  SEND_EMAIL_CATEGORY,
  SEND_EMAIL_RETRIES_SUBSCRIBER_ID,
  sendEmailCommandStreamName,
  sendEmailEventSchemas,
  type DeliveryDeferred,
  type RetrySend,
} from '../../contracts/send-email.ts';

// Fixed: a retry written again (a second timer, a restart) must get the same id, which the store keeps once.
const RETRY_NAMESPACE = 'c2a7e5d1-4b8f-4e3a-9d6c-1f0b7a5e3c92';
// After a failed write of a retry (the store is down), the timer tries again this much later.
const AFTER_WRITE_FAILURE_MS = 5_000;

const readData = z.object({ position: z.number().int().nonnegative() });

interface Due {
  readonly deferred: Recorded<DeliveryDeferred>;
  readonly dueAt: number;
  /** Its RetrySend is written: from then on the command stream, not this list, keeps the retry. */
  retried: boolean;
}

export interface RetryDueListDeps {
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly now: () => number;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: SubscriptionSettings;
}

export interface RetryDueList {
  readonly subscription: Subscription;
  /** Writes a RetrySend for every deferral due by now and returns how many; the timer calls it, tests may too. */
  retryDue(): Promise<number>;
  /** Deferred emails known to this list whose RetrySend is not written yet. */
  waiting(): number;
}

/** The id of the retry of `emailId` after its `attempts`th failed try. */
export const retrySendId = (emailId: string, attempts: number): string =>
  derivedMessageId(RETRY_NAMESPACE, `${emailId}/${attempts}`);

/**
 * The retry schedule: a list of deferred emails and when each is due, kept in memory from the
 * component's own events (DeliveryDeferred adds an email, Sent or Failed removes it), and one
 * timer for the earliest. When an email falls due, a RetrySend goes to its command stream, and
 * the command subscriber tries it like any other command: one failing email waits on this list,
 * not in a handler, so it holds up nothing behind it.
 *
 * The list survives a restart because of where its position is stored: never past the oldest
 * deferral whose RetrySend is not yet written. A restart reads every such deferral again; one
 * already retried is written again under the same id, which the store keeps once.
 */
export function createRetryDueList({
  messageStore,
  logger: parentLogger,
  now,
  consumerGroup = SOLE_MEMBER,
  subscription: settings,
}: RetryDueListDeps): RetryDueList {
  const logger = parentLogger.child({ subscriberId: SEND_EMAIL_RETRIES_SUBSCRIBER_ID });
  const positionStream = componentPositionStream(SEND_EMAIL_RETRIES_SUBSCRIBER_ID, consumerGroup);
  const due = new Map<string, Due>();
  let stored = 0;
  let version = -1;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let retrying: Promise<void> | undefined;

  /** How far a restart may skip: up to `position`, but not past a deferral still to retry. */
  function safePosition(position: number): number {
    let safe = position;
    for (const entry of due.values()) if (!entry.retried) safe = Math.min(safe, entry.deferred.globalPosition - 1);
    return safe;
  }

  async function loadPosition(): Promise<number> {
    const last = await messageStore.readLastMessage(positionStream, 'Read');
    const parsed = readData.safeParse(last?.data);
    stored = parsed.success ? parsed.data.position : 0;
    version = await messageStore.streamVersion(positionStream);
    // Read again from there: every deferral still to retry lies past it.
    due.clear();
    return stored;
  }

  async function store(position: number): Promise<void> {
    const safe = safePosition(position);
    if (safe <= stored) return;
    try {
      version = await messageStore.write(
        positionStream,
        { id: randomUUID(), type: 'Read', data: { position: safe }, metadata: {} },
        version,
      );
      stored = safe;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // Someone else wrote it (a handover): keep ours lower for now; the next store tries again.
      version = await messageStore.streamVersion(positionStream);
    }
  }

  function note(message: RawMessage, context: ProcessorContext): void {
    let event;
    try {
      event = parseMessage(sendEmailEventSchemas, message);
    } catch (error) {
      if (!(error instanceof MessageDataError)) throw error;
      // Not a deferral this list can schedule; the command subscriber reads the stream itself.
      context.stats.skipped += 1;
      logger.warn(
        { messageId: message.id, type: message.type, error: error.message },
        'event breaks the contract; passed over',
      );
      return;
    }
    if (!event) return;
    if (event.type === 'DeliveryDeferred')
      due.set(event.data.emailId, { deferred: event, dueAt: Date.parse(event.data.nextAttemptAt), retried: false });
    else due.delete(event.data.emailId);
    context.stats.handled += 1;
  }

  async function retryDue(): Promise<number> {
    const at = now();
    let written = 0;
    let failure: unknown;
    for (const entry of [...due.values()]) {
      if (entry.retried || entry.dueAt > at) continue;
      const { emailId, attempts } = entry.deferred.data;
      const retry: RetrySend = follow(
        entry.deferred,
        'RetrySend',
        { emailId, attempts },
        {},
        retrySendId(emailId, attempts),
      );
      try {
        await messageStore.write(sendEmailCommandStreamName(emailId), retry);
        entry.retried = true;
        written += 1;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return written;
  }

  /** One timer, for the earliest deferral still to retry. */
  function arm(): void {
    if (!running) return;
    clearTimeout(timer);
    let earliest = Infinity;
    for (const entry of due.values()) if (!entry.retried) earliest = Math.min(earliest, entry.dueAt);
    if (earliest === Infinity) return;
    timer = setTimeout(onTimer, Math.min(Math.max(0, earliest - now()), MAX_TIMER_MS));
  }

  function onTimer(): void {
    timer = undefined;
    retrying = retryDue().then(
      () => arm(),
      (error: unknown) => {
        logger.warn({ err: error, delayMs: AFTER_WRITE_FAILURE_MS }, 'could not write a retry; trying again');
        if (running) timer = setTimeout(onTimer, AFTER_WRITE_FAILURE_MS);
      },
    );
  }

  const processor: Processor = {
    kind: 'component',
    loadPosition,
    async process(batch, position, context) {
      let last = position;
      for (const message of batch) {
        note(message, context);
        last = message.globalPosition;
      }
      await store(last);
      arm();
      return last;
    },
    async caughtUp(position) {
      await store(position);
      arm();
      return position;
    },
    checkpoint: (position) => store(position),
  };

  const subscription = createSubscription({
    messageStore,
    logger: parentLogger,
    subscriberId: SEND_EMAIL_RETRIES_SUBSCRIBER_ID,
    category: SEND_EMAIL_CATEGORY,
    processor,
    consumerGroup,
    ...settings,
  });

  return {
    retryDue,
    waiting: () => [...due.values()].filter((entry) => !entry.retried).length,
    subscription: {
      ...subscription,
      start() {
        running = true;
        subscription.start();
      },
      async stop() {
        running = false;
        clearTimeout(timer);
        await subscription.stop();
        await retrying;
      },
    },
  };
}
