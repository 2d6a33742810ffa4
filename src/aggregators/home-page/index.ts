import type { Knex } from 'knex';
import { viewingSchemas, VIEWING_CATEGORY } from '../../app/record-viewings/contract.ts';
import type { Logger } from '../../logger.ts';
import { createDispatcher, type ConsumerGroup, type MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';

export const HOME_PAGE_SUBSCRIBER_ID = 'aggregators:home-page';

export interface HomePageAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps the home page's "videos watched" count from the viewing category. The count is not
 * idempotent by itself: the aggregator's position, committed in the same transaction, is what
 * makes a redelivered viewing count once (and it stays right under a consumer group, where a
 * single "last position applied" on the row would not).
 */
export function createHomePageAggregator({ db, messageStore, logger, consumerGroup, subscription }: HomePageAggregatorDeps) {
  const handle = createDispatcher<typeof viewingSchemas, [Knex.Transaction]>(viewingSchemas, {
    async VideoViewed(_event, trx) {
      await trx('home_page').where({ page_name: 'home' }).increment('videos_watched', 1);
    },
  });

  const processor = createAggregatorProcessor({ db, subscriberId: HOME_PAGE_SUBSCRIBER_ID, handle, ...(consumerGroup && { consumerGroup }) });
  return {
    handle,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: HOME_PAGE_SUBSCRIBER_ID,
      category: VIEWING_CATEGORY,
      processor,
      ...(consumerGroup && { consumerGroup }),
      ...subscription,
    }),
  };
}
