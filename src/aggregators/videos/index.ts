import type { Knex } from 'knex';
import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { Logger } from '../../logger.ts';
import type { ConsumerGroup, MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { DEFAULT_VIEWING_COUNT_WINDOW_MS } from '../viewing-counts/windows.ts';
import { catalogProjection } from './catalog.ts';
import { viewsProjection } from './views.ts';

/** Renaming one replays its category: safe (the rows are guarded) but slow. */
export const VIDEOS_SUBSCRIBER_IDS = {
  catalog: 'aggregators:videos',
  views: 'aggregators:videos:views',
} as const;

export interface VideosAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES). */
  readonly viewingCountWindowMs?: number;
  /** Called after each commit that moved the catalog or a count, e.g. to refresh a cached page. */
  readonly onApplied?: () => void;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps `videos`, the catalog viewers browse and each video's view count, from two categories:
 * the publishing events (published, named, described, unpublished) and the viewings. Two
 * categories are two subscribers, each with its own position, so either may be ahead of the
 * other: they write the same rows by upserts that touch only their own columns.
 */
export function createVideosAggregator({ db, messageStore, logger, consumerGroup, viewingCountWindowMs = DEFAULT_VIEWING_COUNT_WINDOW_MS, onApplied, subscription }: VideosAggregatorDeps) {
  function subscribe<T>(subscriberId: string, category: string, projection: BatchProjection<T>): Subscription {
    const processor = createAggregatorProcessor({
      db,
      subscriberId,
      projection,
      ...(consumerGroup && { consumerGroup }),
      ...(onApplied && { onApplied }),
    });
    return createSubscription({ messageStore, logger, subscriberId, category, processor, ...(consumerGroup && { consumerGroup }), ...subscription });
  }

  const catalog = subscribe(VIDEOS_SUBSCRIBER_IDS.catalog, VIDEO_PUBLISHING_CATEGORY, catalogProjection);
  const counting = viewsProjection(viewingCountWindowMs);
  const views = subscribe(VIDEOS_SUBSCRIBER_IDS.views, VIEWING_CATEGORY, counting);
  return {
    projections: { catalog: catalogProjection, views: counting },
    /** The catalog's subscriber, then the views'. */
    subscriptions: [catalog, views] as const,
  };
}
