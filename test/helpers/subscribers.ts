import type { Knex } from 'knex';
import { createAppDatabase } from '../../src/db/app-database.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { createComponentProcessor } from '../../src/subscription/component-processor.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../src/subscription/subscription.ts';
import { silentLogger } from './databases.ts';
import { FAST_RETRY } from './test-system.ts';

type Settings = Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry' | 'consumerGroup' | 'correlation'>>;

export function componentSubscriber(
  store: MessageStore,
  category: string,
  handle: (message: RawMessage) => Promise<void>,
  { subscriberId = `components:test:${category}`, positionUpdateInterval = 100, ...settings }: Settings & { subscriberId?: string; positionUpdateInterval?: number } = {},
): Subscription {
  return createSubscription({
    messageStore: store,
    logger: silentLogger,
    subscriberId,
    category,
    processor: createComponentProcessor({ messageStore: store, subscriberId, handle, positionUpdateInterval }),
    retry: FAST_RETRY,
    ...settings,
  });
}

/** A test projection whose primary key makes any double application fail loudly. */
export async function openSeenTable(databaseUrl: string): Promise<Knex> {
  const db = createAppDatabase(databaseUrl, 4);
  await db.schema.createTable('seen', (table) => {
    table.bigInteger('global_position').primary();
    table.text('type').notNullable();
  });
  return db;
}

export function aggregatorSubscriber(
  store: MessageStore,
  db: Knex,
  category: string,
  handle: (message: RawMessage, trx: Knex.Transaction) => Promise<void>,
  { subscriberId = `aggregators:test:${category}`, ...settings }: Settings & { subscriberId?: string } = {},
): Subscription {
  return createSubscription({
    messageStore: store,
    logger: silentLogger,
    subscriberId,
    category,
    processor: createAggregatorProcessor({ db, subscriberId, handle }),
    retry: FAST_RETRY,
    ...settings,
  });
}

export const recordSeen = async (message: RawMessage, trx: Knex.Transaction): Promise<void> => {
  await trx('seen').insert({ global_position: message.globalPosition, type: message.type });
};

/** Ticks until a tick reads nothing. */
export async function drain(subscription: Subscription): Promise<void> {
  while ((await subscription.tick()) > 0);
}
