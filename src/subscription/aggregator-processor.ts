import type { Knex } from 'knex';
import { SOLE_MEMBER, type ConsumerGroup, type RawMessage } from '../message-store/index.ts';
import {
  every,
  failedMessage,
  logRetry,
  POSITION_RECHECK_MS,
  StalledError,
  type Processor,
  type ProcessorContext,
} from './processor.ts';
import { handoverFrom, type Handover } from './group-handover.ts';
import { applyProjectionBatch, type BatchProjection, type SkippedMessage } from './projection-batch.ts';
import { attemptWithRetries, isInfrastructureError } from './retry.ts';

/** The earlier group's positions as kept on the row: [member, position] pairs. */
interface PreviousGroupJson {
  readonly size: number;
  readonly positions: ReadonlyArray<readonly [number, number]>;
}

export type { BatchProjection } from './projection-batch.ts';

export interface AggregatorProcessorOptions<T = unknown> {
  readonly db: Knex;
  readonly subscriberId: string;
  /** Each member of a consumer group keeps its own position: members read disjoint streams. */
  readonly consumerGroup?: ConsumerGroup;
  /** Called after each commit that moved the projection, e.g. to refresh a page's cached read. */
  readonly onApplied?: () => void;
  /** What the messages make: parsed (data that breaks its contract is skipped) and applied by applyProjectionBatch. */
  readonly projection: BatchProjection<T>;
}

/**
 * For aggregators: each batch and its new position commit in one transaction, so a crash
 * anywhere leaves the projection and the position in step (exactly-once effect, whatever the
 * projection). The position row is locked for the transaction, so two copies of one member
 * take turns and each applies only what the other has not. When a batch fails, its messages
 * are retried one transaction each to find the one at fault; if that one keeps failing on valid
 * data the subscriber stalls there rather than skip it and corrupt its projection. Data that
 * breaks its contract (another writer, an old shape) is skipped, recorded and counted instead:
 * no retry can mend it. A database that is down is not a fault of the message: that error goes
 * back to the subscription, which keeps trying without stalling.
 */
export function createAggregatorProcessor<T>(options: AggregatorProcessorOptions<T>): Processor {
  const { db, subscriberId, consumerGroup = SOLE_MEMBER } = options;
  const key = { subscriber_id: subscriberId, group_member: consumerGroup.member, group_size: consumerGroup.size };

  /**
   * Locks the position row for the transaction and reads it: one statement once the row exists,
   * which is every batch but a member's first (the insert, made only then, waits for a copy that
   * is inserting it too).
   */
  async function lockPosition(trx: Knex.Transaction): Promise<number> {
    const locked = () =>
      trx('subscriber_positions').where(key).forUpdate().first<{ position: string } | undefined>('position');
    let row = await locked();
    if (!row) {
      await trx('subscriber_positions')
        .insert({ ...key, position: 0 })
        .onConflict(['subscriber_id', 'group_member', 'group_size'])
        .ignore();
      row = await locked();
    }
    return Number(row?.position ?? 0);
  }

  /** A skip said once: in the stats and the log, when it first goes on record. */
  function noteSkip({ message, error, newlyRecorded }: SkippedMessage, context: ProcessorContext): void {
    if (!newlyRecorded) return;
    const skipped = failedMessage(message, error, 1);
    context.stats.skipped += 1;
    context.stats.lastSkipped = skipped;
    context.logger.warn({ ...skipped }, 'message data breaks its contract; skipped and recorded in skipped_messages');
  }

  /** Applies what the stored position does not cover yet; returns the stored position after the commit. */
  async function applyInOneTransaction(
    messages: readonly RawMessage[],
    expected: number,
    context: ProcessorContext,
  ): Promise<number> {
    const stored = await applyAndStore(messages, expected, context);
    if (stored > expected) options.onApplied?.();
    return stored;
  }

  async function applyAndStore(
    messages: readonly RawMessage[],
    expected: number,
    context: ProcessorContext,
  ): Promise<number> {
    const last = messages.at(-1);
    return db.transaction(async (trx) => {
      const stored = await lockPosition(trx);
      // Below what we stored ourselves: an operator moved it back to replay. Read again from there.
      if (stored < expected || !last) return stored;
      const fresh = messages.filter(
        (message) =>
          message.globalPosition > stored &&
          !(handover && message.globalPosition <= handover.until && handover.handled(message)),
      );
      for (const skipped of await applyProjectionBatch(options.projection, fresh, trx, key)) noteSkip(skipped, context);
      if (last.globalPosition <= stored) return stored;
      const handedOver = handover !== undefined && last.globalPosition >= handover.until;
      await trx('subscriber_positions')
        .where(key)
        .update({ position: last.globalPosition, updated_at: trx.fn.now(), ...(handedOver && { handover: null }) });
      return last.globalPosition;
    });
  }

  const recheck = every(POSITION_RECHECK_MS);
  let handover: Handover | undefined;

  async function storedPosition(): Promise<number> {
    const row = await db('subscriber_positions').where(key).first<{ position: string } | undefined>('position');
    return row ? Number(row.position) : 0;
  }

  /**
   * The stored position; for the first start at a new group size, the position handed over by
   * the members of the size that ran last (see group-handover.ts), kept until we pass it.
   */
  async function loadPosition(): Promise<number> {
    type Row = {
      group_member: number;
      group_size: number;
      position: string;
      updated_at: Date;
      handover: PreviousGroupJson | null;
    };
    const rows = await db('subscriber_positions')
      .where({ subscriber_id: subscriberId })
      .select<Row[]>('group_member', 'group_size', 'position', 'updated_at', 'handover');
    const own = rows.find((row) => row.group_member === consumerGroup.member && row.group_size === consumerGroup.size);
    const others = rows.filter((row) => row.group_size !== consumerGroup.size);
    const latest = others.reduce<Row | undefined>(
      (newest, row) => (!newest || row.updated_at > newest.updated_at ? row : newest),
      undefined,
    );
    if (latest && (!own || latest.updated_at > own.updated_at)) {
      const previous: PreviousGroupJson = {
        size: latest.group_size,
        positions: others
          .filter((row) => row.group_size === latest.group_size)
          .map((row) => [row.group_member, Number(row.position)]),
      };
      handover = handoverFrom({ size: previous.size, positions: new Map(previous.positions) });
      await db('subscriber_positions')
        .insert({ ...key, position: handover.from, handover: JSON.stringify(previous), updated_at: db.fn.now() })
        .onConflict(['subscriber_id', 'group_member', 'group_size'])
        .merge(['position', 'handover', 'updated_at']);
      return handover.from;
    }
    const position = own ? Number(own.position) : 0;
    handover = own?.handover
      ? handoverFrom({ size: own.handover.size, positions: new Map(own.handover.positions) })
      : undefined;
    if (handover && position >= handover.until) handover = undefined;
    return position;
  }

  return {
    kind: 'aggregator',
    loadPosition,
    async process(batch, position, context) {
      try {
        const stored = await applyInOneTransaction(batch, position, context);
        if (stored >= position)
          context.stats.handled += batch.filter(
            (m) => m.globalPosition > position && m.globalPosition <= stored,
          ).length;
        context.stats.checkpoint = stored;
        return stored;
      } catch (batchError) {
        if (isInfrastructureError(batchError)) throw batchError;
        context.logger.warn(
          { err: batchError, size: batch.length },
          'batch failed; applying its messages one at a time',
        );
      }
      let current = position;
      for (const message of batch) {
        if (context.signal.aborted) break;
        let stored = current;
        const result = await attemptWithRetries(
          async () => {
            stored = await applyInOneTransaction([message], current, context);
          },
          context.retry,
          context.signal,
          logRetry(context, message),
        );
        if (!result.ok) {
          if (context.signal.aborted) break;
          if (isInfrastructureError(result.error)) throw result.error;
          throw new StalledError(failedMessage(message, result.error, result.attempts), current);
        }
        if (stored < current) return stored; // moved back by an operator
        if (stored >= message.globalPosition && message.globalPosition > current) context.stats.handled += 1;
        context.stats.checkpoint = stored;
        current = stored;
      }
      return current;
    },
    // Our own commits keep the stored position equal to ours; lower means an operator asked for
    // a replay, higher that another copy of this member went ahead. Either way, go on from it.
    async caughtUp(position) {
      return recheck() ? storedPosition() : position;
    },
    async checkpoint() {
      // Already durable: every transaction above stored its position.
    },
  };
}
