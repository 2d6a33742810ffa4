import type { Knex } from 'knex';
import { MessageDataError, SOLE_MEMBER, type ConsumerGroup, type RawMessage } from '../message-store/index.ts';
import { every, failedMessage, logRetry, POSITION_RECHECK_MS, StalledError, type Processor, type ProcessorContext } from './processor.ts';
import { attemptWithRetries, isInfrastructureError } from './retry.ts';

export type ProjectionHandler = (message: RawMessage, trx: Knex.Transaction) => Promise<void>;

export interface AggregatorProcessorOptions {
  readonly db: Knex;
  readonly subscriberId: string;
  readonly handle: ProjectionHandler;
  /** Each member of a consumer group keeps its own position: members read disjoint streams. */
  readonly consumerGroup?: ConsumerGroup;
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
export function createAggregatorProcessor({ db, subscriberId, handle, consumerGroup = SOLE_MEMBER }: AggregatorProcessorOptions): Processor {
  const key = { subscriber_id: subscriberId, group_member: consumerGroup.member, group_size: consumerGroup.size };

  async function lockPosition(trx: Knex.Transaction): Promise<number> {
    await trx('subscriber_positions').insert({ ...key, position: 0 }).onConflict(['subscriber_id', 'group_member', 'group_size']).ignore();
    const row = await trx('subscriber_positions').where(key).forUpdate().first<{ position: string }>('position');
    return Number(row?.position ?? 0);
  }

  async function recordSkip(trx: Knex.Transaction, message: RawMessage, error: MessageDataError, context: ProcessorContext): Promise<void> {
    const inserted = await trx('skipped_messages')
      .insert({
        ...key,
        global_position: message.globalPosition,
        message_id: message.id,
        stream_name: message.streamName,
        position: message.position,
        type: message.type,
        reason: error.message,
      })
      .onConflict(['subscriber_id', 'global_position'])
      .ignore()
      .returning('global_position');
    if (inserted.length === 0) return;
    const skipped = failedMessage(message, error, 1);
    context.stats.skipped += 1;
    context.stats.lastSkipped = skipped;
    context.logger.warn({ ...skipped }, 'message data breaks its contract; skipped and recorded in skipped_messages');
  }

  /** Applies what the stored position does not cover yet; returns the stored position after the commit. */
  async function applyInOneTransaction(messages: readonly RawMessage[], expected: number, context: ProcessorContext): Promise<number> {
    const last = messages.at(-1);
    return db.transaction(async (trx) => {
      const stored = await lockPosition(trx);
      // Below what we stored ourselves: an operator moved it back to replay. Read again from there.
      if (stored < expected || !last) return stored;
      for (const message of messages) {
        if (message.globalPosition <= stored) continue;
        try {
          await handle(message, trx);
        } catch (error) {
          // Contract checks run before the handler touches the transaction, so it is still usable.
          if (!(error instanceof MessageDataError)) throw error;
          await recordSkip(trx, message, error, context);
        }
      }
      if (last.globalPosition <= stored) return stored;
      await trx('subscriber_positions').where(key).update({ position: last.globalPosition, updated_at: trx.fn.now() });
      return last.globalPosition;
    });
  }

  const recheck = every(POSITION_RECHECK_MS);

  async function loadPosition(): Promise<number> {
    const row = await db('subscriber_positions').where(key).first<{ position: string } | undefined>('position');
    return row ? Number(row.position) : 0;
  }

  return {
    kind: 'aggregator',
    loadPosition,
    async process(batch, position, context) {
      try {
        const stored = await applyInOneTransaction(batch, position, context);
        if (stored >= position) context.stats.handled += batch.filter((m) => m.globalPosition > position && m.globalPosition <= stored).length;
        context.stats.checkpoint = stored;
        return stored;
      } catch (batchError) {
        if (isInfrastructureError(batchError)) throw batchError;
        context.logger.warn({ err: batchError, size: batch.length }, 'batch failed; applying its messages one at a time');
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
      return recheck() ? loadPosition() : position;
    },
    async checkpoint() {
      // Already durable: every transaction above stored its position.
    },
  };
}
