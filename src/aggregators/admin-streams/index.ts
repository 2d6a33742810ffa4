import type { Knex } from 'knex';
import type { Logger } from '../../logger.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor } from '../../subscription/aggregator-processor.ts';
import { ALL_CATEGORIES, createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { adminStreamsProjection } from './projection.ts';

/** Renaming it replays the whole store into the projection (safe: every row is guarded, but slow). */
export const ADMIN_STREAMS_SUBSCRIBER_ID = 'aggregators:admin-streams';

export interface AdminStreamsAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps admin_streams, admin_categories, admin_message_types and admin_message_minutes from
 * every category, read up to the safe horizon (a commit still in flight is waited for, never
 * passed). One subscriber, no consumer group: the all-categories reader takes none, and the
 * row guards rely on one reader going through the store in global order.
 */
export function createAdminStreamsAggregator({ db, messageStore, logger, subscription }: AdminStreamsAggregatorDeps) {
  const processor = createAggregatorProcessor({ db, subscriberId: ADMIN_STREAMS_SUBSCRIBER_ID, projection: adminStreamsProjection });
  return {
    projection: adminStreamsProjection,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: ADMIN_STREAMS_SUBSCRIBER_ID,
      category: ALL_CATEGORIES,
      processor,
      ...subscription,
    }),
  };
}
