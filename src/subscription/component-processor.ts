import { v5 as uuidV5 } from 'uuid';
import { z } from 'zod';
import {
  follow,
  SOLE_MEMBER,
  streamName,
  VersionConflictError,
  type ConsumerGroup,
  type MessageStore,
  type RawMessage,
} from '../message-store/index.ts';
import {
  every,
  failedMessage,
  logRetry,
  POSITION_RECHECK_MS,
  type Processor,
  type ProcessorContext,
} from './processor.ts';
import { handoverFrom } from './group-handover.ts';
import { attemptWithRetries, isInfrastructureError, isPermanent } from './retry.ts';

/** Where subscribers keep their positions (Read messages): bookkeeping the admin's message browser hides unless asked. */
export const POSITION_CATEGORY = 'subscriberPosition';
/** Where a component parks what keeps failing: deadLetter-<subscriberId>. */
export const DEAD_LETTER_CATEGORY = 'deadLetter';
// Parking ids are derived from the subscriber, the message and how often it was replayed, so a
// redelivery parks once, and a replay that fails again parks anew.
const PARKING_NAMESPACE = '6f1c2f0e-5d8a-4a7c-9a51-3c0b8f3f2d11';

const readData = z.object({ position: z.number().int().nonnegative() });
const messageReference = z.object({
  id: z.string(),
  streamName: z.string(),
  position: z.number().int().nonnegative(),
  globalPosition: z.number().int().positive(),
  type: z.string(),
});
export const parkedData = z.object({
  subscriberId: z.string(),
  message: messageReference,
  error: z.string(),
  attempts: z.number().int().positive(),
});
type ParkedData = z.infer<typeof parkedData>;

export interface ComponentProcessorOptions {
  readonly messageStore: MessageStore;
  readonly subscriberId: string;
  readonly handle: (message: RawMessage) => Promise<void>;
  readonly consumerGroup?: ConsumerGroup;
  /** Store the position after this many messages; a restart redelivers at most this many. */
  readonly positionUpdateInterval?: number;
  /**
   * For a handler that only hands work on (a queue): the global position of the oldest message
   * whose work is still in hand, or undefined for none. The stored position stays below it, so
   * a restart reads that message again and the work is not lost.
   */
  readonly heldBack?: () => number | undefined;
  /**
   * Reads ahead what handling a batch will need, in one statement, before its first message is
   * handled. An outage is thrown (the subscription tries the batch again); any other failure only
   * loses the read-ahead: the handler reads for itself.
   */
  readonly prepare?: (batch: readonly RawMessage[]) => Promise<void>;
}

export type ReplayOutcome = 'handled' | 'parked again';

export interface ComponentProcessor extends Processor {
  readonly positionStream: string;
  readonly deadLetterStream: string;
  /** Hands a parked message (read back by its reference) to the handler again; parks it anew if it still fails. */
  replay(parked: RawMessage, context: ProcessorContext): Promise<ReplayOutcome>;
  /** Parks a message whose work, handed on by the handler, failed elsewhere (a queue's worker), as a failed delivery would be. */
  park(message: RawMessage, error: unknown, attempts: number, context: ProcessorContext): Promise<void>;
}

/** The group a position stream of `subscriberId` belongs to, or undefined if it is another subscriber's. */
function groupOfPositionStream(subscriberId: string, stream: string): ConsumerGroup | undefined {
  if (stream === componentPositionStream(subscriberId)) return SOLE_MEMBER;
  const match = /\+member(\d+)of(\d+)$/.exec(stream);
  if (!match || stream !== componentPositionStream(subscriberId, { member: Number(match[1]), size: Number(match[2]) }))
    return undefined;
  return { member: Number(match[1]), size: Number(match[2]) };
}

/** Where a member keeps its position: one stream per member and group size. */
export function componentPositionStream(subscriberId: string, { member, size }: ConsumerGroup = SOLE_MEMBER): string {
  return streamName(POSITION_CATEGORY, size === 1 ? subscriberId : `${subscriberId}+member${member}of${size}`);
}

/**
 * For components: at-least-once delivery with idempotent handlers. The position lives in the
 * message store and is written with the expected version, so a position an operator wrote
 * (to replay) is noticed and followed. A message that keeps failing, or whose data breaks its
 * contract, is parked in `deadLetter-<id>` as a reference with the error, and the subscriber
 * goes on.
 */
export function createComponentProcessor({
  messageStore,
  subscriberId,
  handle,
  consumerGroup = SOLE_MEMBER,
  positionUpdateInterval = 100,
  heldBack = () => undefined,
  prepare,
}: ComponentProcessorOptions): ComponentProcessor {
  const positionStream = componentPositionStream(subscriberId, consumerGroup);
  const deadLetterStream = streamName(DEAD_LETTER_CATEGORY, subscriberId);
  let stored = 0;
  let version = -1;
  let sinceCheckpoint = 0;
  const recheck = every(POSITION_RECHECK_MS);

  async function lastRead(stream: string): Promise<{ position: number; globalPosition: number } | undefined> {
    const last = await messageStore.readLastMessage(stream, 'Read');
    const parsed = readData.safeParse(last?.data);
    return last && parsed.success ? { position: parsed.data.position, globalPosition: last.globalPosition } : undefined;
  }

  async function loadPosition(): Promise<number> {
    const own = await lastRead(positionStream);
    stored = own?.position ?? (await handedOverPosition());
    version = await messageStore.streamVersion(positionStream);
    return stored;
  }

  /**
   * A first start at a new group size: go on from the lowest position any member of the size
   * that ran last had stored, not from the beginning. What lies between comes again, which
   * idempotent handlers allow.
   */
  async function handedOverPosition(): Promise<number> {
    const bySize = new Map<number, Map<number, { position: number; globalPosition: number }>>();
    for (const stream of await messageStore.streamNames(POSITION_CATEGORY, subscriberId)) {
      const group = groupOfPositionStream(subscriberId, stream);
      if (!group || group.size === consumerGroup.size) continue;
      const last = await lastRead(stream);
      if (!last) continue;
      if (!bySize.has(group.size)) bySize.set(group.size, new Map());
      bySize.get(group.size)!.set(group.member, last);
    }
    let latest: { size: number; at: number } | undefined;
    for (const [size, members] of bySize) {
      const at = Math.max(...[...members.values()].map((read) => read.globalPosition));
      if (!latest || at > latest.at) latest = { size, at };
    }
    if (!latest) return 0;
    const members = bySize.get(latest.size)!;
    return handoverFrom({
      size: latest.size,
      positions: new Map([...members].map(([member, read]) => [member, read.position])),
    }).from;
  }

  /** How far `position` may be stored: not past a message whose work is still in hand. */
  function durable(position: number): number {
    const oldest = heldBack();
    return oldest === undefined ? position : Math.min(position, oldest - 1);
  }

  /** Stores `position` (as far as durable) unless someone else wrote the position stream since we read it: then theirs wins. */
  async function checkpoint(reached: number, context: ProcessorContext): Promise<number> {
    const position = durable(reached);
    if (position <= stored) return reached;
    try {
      version = await messageStore.write(
        positionStream,
        { id: crypto.randomUUID(), type: 'Read', data: { position }, metadata: {} },
        version,
      );
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      const moved = await loadPosition();
      context.logger.warn(
        { position: moved, ours: position },
        'the stored position was moved by someone else; going on from there',
      );
      context.stats.checkpoint = moved;
      return moved;
    }
    stored = position;
    sinceCheckpoint = 0;
    context.stats.checkpoint = position;
    return reached;
  }

  async function timesReplayed(messageId: string): Promise<number> {
    const entries = await messageStore.readStream(deadLetterStream, { batchSize: -1 });
    return entries.filter(
      (entry) => entry.type === 'Replayed' && (entry.data as { messageId?: unknown }).messageId === messageId,
    ).length;
  }

  async function park(message: RawMessage, error: unknown, attempts: number, context: ProcessorContext): Promise<void> {
    const failure = failedMessage(message, error, attempts);
    const round = await timesReplayed(message.id);
    const data: ParkedData = {
      subscriberId,
      message: {
        id: message.id,
        streamName: message.streamName,
        position: message.position,
        globalPosition: message.globalPosition,
        type: message.type,
      },
      error: failure.error,
      attempts,
    };
    await messageStore.write(
      deadLetterStream,
      follow(message, 'Parked', data, {}, uuidV5(`${subscriberId}/${message.id}/${round}`, PARKING_NAMESPACE)),
    );
    context.stats.parked += 1;
    context.stats.failure = failure;
    context.logger.error({ ...failure, deadLetterStream }, 'message parked');
  }

  /** Runs the handler with retries; parks the message when it cannot be handled. Throws only for an outage. */
  async function deliver(message: RawMessage, context: ProcessorContext): Promise<'handled' | 'parked' | 'stopped'> {
    const result = await attemptWithRetries(
      () => handle(message),
      context.retry,
      context.signal,
      logRetry(context, message),
    );
    if (result.ok) {
      context.stats.handled += 1;
      return 'handled';
    }
    if (context.signal.aborted && !isPermanent(result.error)) return 'stopped';
    // A database that is down is not this message's fault: hand the error to the subscription,
    // which keeps trying from here rather than park an innocent message.
    if (isInfrastructureError(result.error)) throw result.error;
    await park(message, result.error, result.attempts, context);
    return 'parked';
  }

  return {
    kind: 'component',
    positionStream,
    deadLetterStream,
    loadPosition,
    async process(batch, position, context) {
      let last = position;
      if (prepare && batch.length > 0) {
        await prepare(batch).catch((error: unknown) => {
          if (isInfrastructureError(error)) throw error;
          context.logger.warn({ err: error }, 'reading ahead for the batch failed; each message reads for itself');
        });
      }
      for (const message of batch) {
        if (context.signal.aborted) break;
        let outcome: Awaited<ReturnType<typeof deliver>>;
        try {
          outcome = await deliver(message, context);
        } catch (error) {
          if (last > stored) await checkpoint(last, context).catch(() => undefined);
          throw error;
        }
        if (outcome === 'stopped') break;
        last = message.globalPosition;
        sinceCheckpoint += 1;
        if (sinceCheckpoint >= positionUpdateInterval) {
          const from = await checkpoint(last, context);
          if (from !== last) return from;
        }
      }
      return last;
    },
    async caughtUp(position, context) {
      if (durable(position) > stored) return checkpoint(position, context);
      // Nothing of ours to store: has anyone else written the position stream?
      if (!recheck() || (await messageStore.streamVersion(positionStream)) === version) return position;
      return loadPosition();
    },
    async checkpoint(position, context) {
      await checkpoint(position, context);
    },
    async replay(parked, context) {
      const { message: reference } = parkedData.parse(parked.data);
      const [original] = await messageStore.readStream(reference.streamName, {
        fromPosition: reference.position,
        batchSize: 1,
      });
      if (!original || original.id !== reference.id)
        throw new Error(`parked message ${reference.id} is not at ${reference.streamName}/${reference.position}`);
      await messageStore.write(deadLetterStream, follow(parked, 'Replayed', { messageId: reference.id }));
      const outcome = await deliver(original, context);
      return outcome === 'handled' ? 'handled' : 'parked again';
    },
    park,
  };
}
