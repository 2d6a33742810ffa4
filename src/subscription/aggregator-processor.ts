import type { Knex } from 'knex';
import type { RawMessage } from '../message-store/types.ts';
import { failedMessage, logRetry, StalledError, type Processor } from './processor.ts';
import { attemptWithRetries, isInfrastructureError } from './retry.ts';

export type ProjectionHandler = (message: RawMessage, trx: Knex.Transaction) => Promise<void>;

export interface AggregatorProcessorOptions {
  readonly db: Knex;
  readonly subscriberId: string;
  readonly handle: ProjectionHandler;
}

/**
 * Locks this subscriber's position row for the rest of the transaction and returns it. Two
 * copies of one aggregator (a rolling deploy) then take turns, and each applies only what the
 * other has not — the stored position, not memory, decides.
 */
async function lockPosition(trx: Knex.Transaction, subscriberId: string): Promise<number> {
  await trx('subscriber_positions').insert({ subscriber_id: subscriberId, position: 0 }).onConflict('subscriber_id').ignore();
  const row = await trx('subscriber_positions')
    .where({ subscriber_id: subscriberId })
    .forUpdate()
    .first<{ position: string }>('position');
  return Number(row?.position ?? 0);
}

/**
 * For aggregators: each batch and its new position commit in one transaction, so a crash
 * anywhere leaves the projection and the position in step (exactly-once effect). When a batch
 * fails, its messages are retried one transaction each to find the one at fault; if that one
 * keeps failing the subscriber stalls there rather than skip it and corrupt its projection.
 * A database that is down is not a fault of the message: that error goes back to the
 * subscription, which keeps trying without stalling.
 */
export function createAggregatorProcessor({ db, subscriberId, handle }: AggregatorProcessorOptions): Processor {
  async function applyInOneTransaction(messages: readonly RawMessage[]): Promise<void> {
    const last = messages.at(-1);
    if (!last) return;
    await db.transaction(async (trx) => {
      const stored = await lockPosition(trx, subscriberId);
      for (const message of messages) if (message.globalPosition > stored) await handle(message, trx);
      if (last.globalPosition > stored) {
        await trx('subscriber_positions')
          .where({ subscriber_id: subscriberId })
          .update({ position: last.globalPosition, updated_at: trx.fn.now() });
      }
    });
  }

  return {
    kind: 'aggregator',
    async loadPosition() {
      const row = await db('subscriber_positions').where({ subscriber_id: subscriberId }).first<{ position: string } | undefined>('position');
      return row ? Number(row.position) : 0;
    },
    async process(batch, context) {
      try {
        await applyInOneTransaction(batch);
        context.stats.handled += batch.length;
        const last = batch.at(-1)?.globalPosition ?? 0;
        context.stats.checkpoint = last;
        return last;
      } catch (batchError) {
        if (isInfrastructureError(batchError)) throw batchError;
        context.logger.warn({ err: batchError, size: batch.length }, 'batch failed; applying its messages one at a time');
      }
      let last = 0;
      for (const message of batch) {
        if (context.signal.aborted) break;
        const result = await attemptWithRetries(
          () => applyInOneTransaction([message]),
          context.retry,
          context.signal,
          logRetry(context, message),
        );
        if (!result.ok) {
          if (context.signal.aborted || isInfrastructureError(result.error)) {
            if (last > 0) context.stats.checkpoint = last;
            if (context.signal.aborted) break;
            throw result.error;
          }
          throw new StalledError(failedMessage(message, result.error, result.attempts), last);
        }
        context.stats.handled += 1;
        context.stats.checkpoint = message.globalPosition;
        last = message.globalPosition;
      }
      return last;
    },
    async checkpoint() {
      // Already durable: every transaction above stored its position.
    },
  };
}
