import type { Knex } from 'knex';
import { AUTHENTICATION_CATEGORY } from '../../contracts/authentication.ts';
import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import { IDENTITY_CATEGORY } from '../../contracts/identity.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { Logger } from '../../logger.ts';
import type { ConsumerGroup, MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection, type ProjectionHandler } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { authenticationProjection } from './authentication.ts';
import { identityHandler, identityProjection } from './identity.ts';
import { videosProjection } from './videos.ts';
import { viewingsProjection } from './viewings.ts';
import { DEFAULT_VIEWING_COUNT_WINDOW_MS } from '../viewing-counts/windows.ts';

/** One subscriber per category; renaming one replays its category (safe: every write is guarded, but slow). */
export const ADMIN_USERS_SUBSCRIBER_IDS = {
  identity: 'aggregators:admin-users:identity',
  authentication: 'aggregators:admin-users:authentication',
  videos: 'aggregators:admin-users:videos',
  viewings: 'aggregators:admin-users:viewings',
} as const;

export interface AdminUsersAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** One viewing per visitor and video counts per this window (VIEWING_COUNT_WINDOW_MINUTES). */
  readonly viewingCountWindowMs?: number;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps admin_users (each user's email, registration, log-ins, welcome email, roles, videos and
 * viewings), with each user's videos and viewings, for the admin portal. Four categories are four
 * subscribers, each with its own position and its own columns, so any may run ahead of the
 * others: a row is made by whichever comes first and filled in by the rest.
 */
export function createAdminUsersAggregator({ db, messageStore, logger, consumerGroup, viewingCountWindowMs = DEFAULT_VIEWING_COUNT_WINDOW_MS, subscription }: AdminUsersAggregatorDeps) {
  function subscribe<T>(subscriberId: string, category: string, applied: { projection: BatchProjection<T> } | { handle: ProjectionHandler }): Subscription {
    const processor = createAggregatorProcessor({ db, subscriberId, ...applied, ...(consumerGroup && { consumerGroup }) });
    return createSubscription({ messageStore, logger, subscriberId, category, processor, ...(consumerGroup && { consumerGroup }), ...subscription });
  }

  const projections = {
    identity: identityProjection,
    authentication: authenticationProjection,
    videos: videosProjection,
    viewings: viewingsProjection(viewingCountWindowMs),
  };
  return {
    projections,
    subscriptions: [
      // Identity opens sealed emails: its handler lets one that does not open be skipped and recorded (identity.ts).
      subscribe(ADMIN_USERS_SUBSCRIBER_IDS.identity, IDENTITY_CATEGORY, { handle: identityHandler }),
      subscribe(ADMIN_USERS_SUBSCRIBER_IDS.authentication, AUTHENTICATION_CATEGORY, { projection: authenticationProjection }),
      subscribe(ADMIN_USERS_SUBSCRIBER_IDS.videos, VIDEO_PUBLISHING_CATEGORY, { projection: videosProjection }),
      subscribe(ADMIN_USERS_SUBSCRIBER_IDS.viewings, VIEWING_CATEGORY, { projection: projections.viewings }),
    ] as const,
  };
}
