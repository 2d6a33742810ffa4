import type { Knex } from 'knex';
import { viewingSchemas, VIEWING_CATEGORY } from '../../app/record-viewings/contract.ts';
import type { Logger } from '../../logger.ts';
import { createDispatcher } from '../../message-store/contract.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';

export const HOME_PAGE_SUBSCRIBER_ID = 'aggregators:home-page';

export interface HomePageAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/** Keeps the home page's "videos watched" count from the viewing category. */
export function createHomePageAggregator({ db, messageStore, logger, subscription }: HomePageAggregatorDeps) {
  const handle = createDispatcher<typeof viewingSchemas, [Knex.Transaction]>(viewingSchemas, {
    async VideoViewed(event, trx) {
      // Guarded by the last position applied, so the same event applied twice counts once.
      await trx('home_page')
        .where({ page_name: 'home' })
        .andWhere('last_viewing_global_position', '<', event.globalPosition)
        .update({
          videos_watched: trx.raw('videos_watched + 1'),
          last_viewing_global_position: event.globalPosition,
        });
    },
  });

  const processor = createAggregatorProcessor({ db, subscriberId: HOME_PAGE_SUBSCRIBER_ID, handle });
  return {
    handle,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: HOME_PAGE_SUBSCRIBER_ID,
      category: VIEWING_CATEGORY,
      processor,
      ...subscription,
    }),
  };
}
