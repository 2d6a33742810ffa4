import type { Knex } from 'knex';
import { ADMIN_STREAMS_SUBSCRIBER_ID, createAdminStreamsAggregator } from '../aggregators/admin-streams/index.ts';
import { ADMIN_USERS_SUBSCRIBER_IDS, createAdminUsersAggregator } from '../aggregators/admin-users/index.ts';
import { createCreatorsVideosAggregator, CREATORS_VIDEOS_SUBSCRIBER_ID } from '../aggregators/creators-videos/index.ts';
import { createHomePageAggregator, HOME_PAGE_SUBSCRIBER_ID } from '../aggregators/home-page/index.ts';
import { createUserCredentialsAggregator, USER_CREDENTIALS_SUBSCRIBER_ID } from '../aggregators/user-credentials/index.ts';
import { createVideoOperationsAggregator, VIDEO_OPERATIONS_SUBSCRIBER_IDS } from '../aggregators/video-operations/index.ts';
import { createVideosAggregator, VIDEOS_SUBSCRIBER_IDS } from '../aggregators/videos/index.ts';
import { AUTHENTICATION_CATEGORY } from '../contracts/authentication.ts';
import { VIEWING_CATEGORY } from '../contracts/viewing.ts';
import { IDENTITY_CATEGORY } from '../contracts/identity.ts';
import { VIDEO_PUBLISHING_CATEGORY, VIDEO_PUBLISHING_COMMAND_CATEGORY } from '../contracts/video-publishing.ts';
import type { Logger } from '../logger.ts';
import { MessageDataError, type MessageStore, type RawMessage } from '../message-store/index.ts';
import type { BatchProjection } from '../subscription/aggregator-processor.ts';
import { ALL_CATEGORIES } from '../subscription/subscription.ts';

/** One subscriber of a projection: the category it reads and how it applies a batch. */
export interface RebuildPart {
  readonly subscriberId: string;
  /** A category, or ALL_CATEGORIES. */
  readonly category: string;
  /**
   * Applies what of `messages` keeps its contract, as the live subscriber would, and returns
   * those that broke it (the live subscriber skips them too).
   */
  apply(messages: readonly RawMessage[], trx: Knex.Transaction): Promise<Array<{ message: RawMessage; error: MessageDataError }>>;
}

/**
 * What `npm run projections:rebuild` and the admin page accept, besides 'all'. Never add
 * personal_data.personal_data_keys here: it is no projection (nothing rebuilds a deleted key), and
 * a rebuild of user-credentials or admin-users reads it to open sealed fields (docs/personal-data.md).
 */
export const PROJECTION_NAMES = ['home-page', 'user-credentials', 'videos', 'creators-videos', 'video-operations', 'admin-users', 'admin-streams'] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

export interface RebuildableProjection {
  readonly name: ProjectionName;
  /** The tables the projection owns, and nothing else writes. */
  readonly tables: readonly string[];
  readonly parts: readonly RebuildPart[];
  /** Rows a migration put in that no event makes (the home page's one row). */
  readonly seed?: (trx: Knex.Transaction) => Promise<void>;
}

/** Hides the projection's own message type, so parts of different projections sit in one list. */
function part<T>(subscriberId: string, category: string, projection: BatchProjection<T>): RebuildPart {
  return {
    subscriberId,
    category,
    async apply(messages, trx) {
      const valid: T[] = [];
      const broken: Array<{ message: RawMessage; error: MessageDataError }> = [];
      for (const message of messages) {
        try {
          const parsed = projection.parse(message);
          if (parsed !== undefined) valid.push(parsed);
        } catch (error) {
          if (!(error instanceof MessageDataError)) throw error;
          broken.push({ message, error });
        }
      }
      if (valid.length > 0) await projection.apply(valid, trx);
      return broken;
    },
  };
}

export interface RegistryDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  /** The live aggregators' window for counting viewings (VIEWING_COUNT_WINDOW_MINUTES): a rebuild must count as they do. */
  readonly viewingCountWindowMs?: number;
}

/**
 * The projections that can be rebuilt from the log, each with its tables and the categories its
 * subscribers read. The projections are the aggregators' own (their factories only build
 * objects: nothing runs), so a rebuild applies exactly what the live subscribers apply.
 */
export function rebuildableProjections(deps: RegistryDeps): readonly RebuildableProjection[] {
  const videos = createVideosAggregator(deps).projections;
  const operations = createVideoOperationsAggregator(deps).projections;
  const adminUsers = createAdminUsersAggregator(deps).projections;
  const all: RebuildableProjection[] = [
    {
      name: 'home-page',
      tables: ['home_page', 'home_page_viewers'],
      parts: [part(HOME_PAGE_SUBSCRIBER_ID, VIEWING_CATEGORY, createHomePageAggregator(deps).projection)],
      seed: async (trx) => {
        await trx('home_page').insert({ page_name: 'home' });
      },
    },
    {
      name: 'user-credentials',
      tables: ['user_credentials'],
      parts: [part(USER_CREDENTIALS_SUBSCRIBER_ID, IDENTITY_CATEGORY, createUserCredentialsAggregator(deps).projection)],
    },
    {
      name: 'videos',
      tables: ['videos', 'video_viewers'],
      parts: [part(VIDEOS_SUBSCRIBER_IDS.catalog, VIDEO_PUBLISHING_CATEGORY, videos.catalog), part(VIDEOS_SUBSCRIBER_IDS.views, VIEWING_CATEGORY, videos.views)],
    },
    {
      name: 'creators-videos',
      tables: ['creators_videos'],
      parts: [part(CREATORS_VIDEOS_SUBSCRIBER_ID, VIDEO_PUBLISHING_CATEGORY, createCreatorsVideosAggregator(deps).projection)],
    },
    {
      name: 'video-operations',
      tables: ['video_operations'],
      parts: [
        part(VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands, VIDEO_PUBLISHING_COMMAND_CATEGORY, operations.commands),
        part(VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes, VIDEO_PUBLISHING_CATEGORY, operations.outcomes),
      ],
    },
    {
      name: 'admin-users',
      tables: ['admin_users', 'admin_user_videos', 'admin_user_viewings', 'admin_user_viewers'],
      parts: [
        part(ADMIN_USERS_SUBSCRIBER_IDS.identity, IDENTITY_CATEGORY, adminUsers.identity),
        part(ADMIN_USERS_SUBSCRIBER_IDS.authentication, AUTHENTICATION_CATEGORY, adminUsers.authentication),
        part(ADMIN_USERS_SUBSCRIBER_IDS.videos, VIDEO_PUBLISHING_CATEGORY, adminUsers.videos),
        part(ADMIN_USERS_SUBSCRIBER_IDS.viewings, VIEWING_CATEGORY, adminUsers.viewings),
      ],
    },
    {
      // Reads every category up to the safe horizon, as its live subscriber does.
      name: 'admin-streams',
      tables: ['admin_streams', 'admin_categories', 'admin_message_types', 'admin_message_minutes'],
      parts: [part(ADMIN_STREAMS_SUBSCRIBER_ID, ALL_CATEGORIES, createAdminStreamsAggregator(deps).projection)],
    },
  ];
  // In the order of PROJECTION_NAMES, which is also the order 'all' rebuilds them in.
  return PROJECTION_NAMES.map((name) => all.find((projection) => projection.name === name)!);
}

/** The projections a name picks: one by its name, or every one for 'all'; undefined for an unknown name. */
export function pickProjections(all: readonly RebuildableProjection[], name: string): readonly RebuildableProjection[] | undefined {
  if (name === 'all') return all;
  const found = all.find((projection) => projection.name === name);
  return found ? [found] : undefined;
}
