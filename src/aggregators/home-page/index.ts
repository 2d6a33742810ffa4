import type { Knex } from 'knex';
import { viewingSchemas, VIEWING_CATEGORY, type ViewingEvent } from '../../app/record-viewings/contract.ts';
import type { Logger } from '../../logger.ts';
import { parseMessage, type ConsumerGroup, type MessageStore, type Recorded } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';

export const HOME_PAGE_SUBSCRIBER_ID = 'aggregators:home-page';

export interface HomePageAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** Called after each commit that moved the count. */
  readonly onApplied?: () => void;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps the home page's "videos watched" count from the viewing category, one UPDATE per batch.
 * The count is not idempotent by itself: the aggregator's position, committed in the same
 * transaction, is what makes a redelivered viewing count once (and it stays right under a
 * consumer group, where a single "last position applied" on the row would not).
 */
export function createHomePageAggregator({ db, messageStore, logger, consumerGroup, onApplied, subscription }: HomePageAggregatorDeps) {
  const projection: BatchProjection<Recorded<ViewingEvent>> = {
    parse: (message) => parseMessage(viewingSchemas, message),
    // One statement for the whole batch, however many viewings it holds.
    async apply(events, trx) {
      const viewings = events.filter((event) => event.type === 'VideoViewed').length;
      if (viewings > 0) await trx('home_page').where({ page_name: 'home' }).increment('videos_watched', viewings);
    },
  };

  const processor = createAggregatorProcessor({
    db,
    subscriberId: HOME_PAGE_SUBSCRIBER_ID,
    projection,
    ...(consumerGroup && { consumerGroup }),
    ...(onApplied && { onApplied }),
  });
  return {
    projection,
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
