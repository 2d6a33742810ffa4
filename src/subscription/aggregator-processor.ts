import type { Knex } from 'knex';
import type { RawMessage } from '../message-store/types.ts';
import { failedMessage, logRetry, StalledError, type Processor } from './processor.ts';
import { attemptWithRetries } from './retry.ts';

export type ProjectionHandler = (message: RawMessage, trx: Knex.Transaction) => Promise<void>;

export interface AggregatorProcessorOptions {
  readonly db: Knex;
  readonly subscriberId: string;
  readonly handle: ProjectionHandler;
}

async function savePosition(trx: Knex.Transaction, subscriberId: string, position: number): Promise<void> {
  await trx('subscriber_positions')
    .insert({ subscriber_id: subscriberId, position, updated_at: trx.fn.now() })
    .onConflict('subscriber_id')
    .merge(['position', 'updated_at']);
}

/**
 * For aggregators: each batch and its new position commit in one transaction, so a crash
 * anywhere leaves the projection and the position in step (exactly-once effect). When a batch
 * fails, its messages are retried one transaction each to find the one at fault; if that one
 * keeps failing the subscriber stalls there rather than skip it and corrupt its projection.
 */
export function createAggregatorProcessor({ db, subscriberId, handle }: AggregatorProcessorOptions): Processor {
  async function applyInOneTransaction(messages: readonly RawMessage[]): Promise<void> {
    const last = messages.at(-1);
    if (!last) return;
    await db.transaction(async (trx) => {
      for (const message of messages) await handle(message, trx);
      await savePosition(trx, subscriberId, last.globalPosition);
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
          if (context.signal.aborted) break;
          throw new StalledError(failedMessage(message, result.error, result.attempts));
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
