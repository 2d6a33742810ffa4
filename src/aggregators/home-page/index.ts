import type { Knex } from 'knex';
import { viewingSchemas, VIEWING_CATEGORY, type ViewingEvent } from '../../contracts/viewing.ts';
import type { Logger } from '../../logger.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { type ConsumerGroup, type MessageStore, type Recorded } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { countViewings, DEFAULT_VIEWING_COUNT_WINDOW_MS } from '../viewing-counts/windows.ts';

export const HOME_PAGE_SUBSCRIBER_ID = 'aggregators:home-page';

export interface HomePageAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES). */
  readonly viewingCountWindowMs?: number;
  /** Called after each commit that moved the count. */
  readonly onApplied?: () => void;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps the home page's "videos watched" count from the viewing category: each visitor's viewing
 * of a video counts once per window (src/aggregators/viewing-counts), with the windows in
 * home_page_viewers. The count is not idempotent by itself: the aggregator's position, committed
 * in the same transaction as the count and the windows, is what makes a redelivered viewing count
 * once and leave the windows alone (and it stays right under a consumer group, where a single
 * "last position applied" on the row would not; a visitor's windows of one video belong to the
 * member that reads its stream).
 */
export function createHomePageAggregator({ db, messageStore, logger, consumerGroup, viewingCountWindowMs = DEFAULT_VIEWING_COUNT_WINDOW_MS, onApplied, subscription }: HomePageAggregatorDeps) {
  const projection: BatchProjection<Recorded<ViewingEvent>> = {
    parse: (message) => parseMessage(viewingSchemas, message),
    // A few statements for the whole batch, however many viewings it holds.
    async apply(events, trx) {
      const viewings = events.map((event) => ({ ...event.data, time: event.time }));
      const counted = (await countViewings(trx, 'home_page_viewers', viewings, viewingCountWindowMs)).filter(Boolean).length;
      if (counted > 0) await trx('home_page').where({ page_name: 'home' }).increment('videos_watched', counted);
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
