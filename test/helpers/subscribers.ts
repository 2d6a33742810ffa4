import type { Knex } from 'knex';
import { createAppDatabase } from '../../src/db/app-database.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../src/subscription/aggregator-processor.ts';
import { createComponentProcessor, type ComponentProcessor } from '../../src/subscription/component-processor.ts';
import type { ProcessorContext } from '../../src/subscription/processor.ts';
import {
  createSubscription,
  type Subscription,
  type SubscriptionOptions,
} from '../../src/subscription/subscription.ts';
import { silentLogger } from './databases.ts';
import type { Scope } from './scope.ts';
import { FAST_RETRY } from './test-system.ts';

type Settings = Partial<
  Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry' | 'consumerGroup' | 'correlation'>
>;

export function componentProcessor(
  store: MessageStore,
  category: string,
  handle: (message: RawMessage) => Promise<void>,
  {
    subscriberId = `components:test:${category}`,
    positionUpdateInterval = 100,
    consumerGroup,
  }: Settings & { subscriberId?: string; positionUpdateInterval?: number } = {},
): ComponentProcessor {
  return createComponentProcessor({
    messageStore: store,
    subscriberId,
    handle,
    positionUpdateInterval,
    ...(consumerGroup && { consumerGroup }),
  });
}

export function componentSubscriber(
  store: MessageStore,
  category: string,
  handle: (message: RawMessage) => Promise<void>,
  settings: Settings & { subscriberId?: string; positionUpdateInterval?: number } = {},
): Subscription {
  const { subscriberId = `components:test:${category}`, positionUpdateInterval: _interval, ...rest } = settings;
  return createSubscription({
    messageStore: store,
    logger: silentLogger,
    subscriberId,
    category,
    processor: componentProcessor(store, category, handle, settings),
    retry: FAST_RETRY,
    ...rest,
  });
}

/** A projection database for engine tests, closed with the scope. */
export function openProjectionDb(scope: Scope, databaseUrl: string): Knex {
  return scope.add(createAppDatabase(databaseUrl, { poolMax: 4 }), (db) => db.destroy());
}

/** A test projection whose primary key makes any double application fail loudly. */
export async function createSeenTable(db: Knex): Promise<void> {
  await db.schema.createTable('seen', (table) => {
    table.bigInteger('global_position').primary();
    table.text('type').notNullable();
  });
}

export const recordSeen = async (message: RawMessage, trx: Knex.Transaction): Promise<void> => {
  await trx('seen').insert({ global_position: message.globalPosition, type: message.type });
};

/**
 * A projection with no idempotence of its own: it counts every application. Only the
 * aggregator's transactional position keeps it exact, so tests of that mechanism use it.
 */
export async function createTally(db: Knex, counters = 1): Promise<void> {
  await db.schema.createTable('tally', (table) => {
    table.integer('id').primary();
    table.bigInteger('n').notNullable();
  });
  await db('tally').insert(Array.from({ length: counters }, (_, index) => ({ id: index + 1, n: 0 })));
}

export const countInTally = async (_message: RawMessage, trx: Knex.Transaction): Promise<void> => {
  await trx('tally').where({ id: 1 }).increment('n', 1);
};

/** Counter `id`'s count (one per subscriber, when a test runs several). */
export async function tallied(db: Knex, id = 1): Promise<number> {
  const row = await db('tally').where({ id }).first<{ n: string }>('n');
  return Number(row?.n ?? 0);
}

export type MessageHandler = (message: RawMessage, trx: Knex.Transaction) => Promise<void>;

/**
 * A projection that applies each message by itself, in order, in the batch's transaction, for
 * engine tests whose handler fails on purpose. Its parse checks no contract, so it skips nothing:
 * a test of skipping gives a projection whose parse checks one, as a real projection's does.
 */
export function eachMessage(handle: MessageHandler): BatchProjection<RawMessage> {
  return {
    parse: (message) => message,
    async apply(messages, trx) {
      for (const message of messages) await handle(message, trx);
    },
  };
}

/**
 * An aggregator subscriber driven as the real ones are: a BatchProjection through
 * applyProjectionBatch. A bare handler is wrapped with eachMessage.
 */
export function aggregatorSubscriber<T>(
  store: MessageStore,
  db: Knex,
  category: string,
  projection: BatchProjection<T> | MessageHandler,
  { subscriberId = `aggregators:test:${category}`, ...settings }: Settings & { subscriberId?: string } = {},
): Subscription {
  const group = settings.consumerGroup && { consumerGroup: settings.consumerGroup };
  return createSubscription({
    messageStore: store,
    logger: silentLogger,
    subscriberId,
    category,
    processor:
      typeof projection === 'function'
        ? createAggregatorProcessor({ db, subscriberId, projection: eachMessage(projection), ...group })
        : createAggregatorProcessor({ db, subscriberId, projection, ...group }),
    retry: FAST_RETRY,
    ...settings,
  });
}

/** A context for driving a processor by hand. */
export function processorContext(): ProcessorContext {
  return {
    signal: new AbortController().signal,
    retry: FAST_RETRY,
    logger: silentLogger,
    stats: { handled: 0, retries: 0, parked: 0, skipped: 0, checkpoint: 0, failure: undefined, lastSkipped: undefined },
  };
}

/** Ticks until a tick reads nothing. */
export async function drain(subscription: Subscription): Promise<void> {
  while ((await subscription.tick()) > 0);
}
