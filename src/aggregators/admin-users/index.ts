import { AUTHENTICATION_CATEGORY } from '../../contracts/authentication.ts';
import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import { IDENTITY_CATEGORY } from '../../contracts/identity.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { authenticationProjection } from './authentication.ts';
import { identityProjection } from './identity.ts';
import { videosProjection } from './videos.ts';
import { viewingsProjection } from './viewings.ts';

/** One subscriber per category; renaming one replays its category (safe: every write is guarded, but slow). */
export const ADMIN_USERS_SUBSCRIBER_IDS = {
  identity: 'aggregators:admin-users:identity',
  authentication: 'aggregators:admin-users:authentication',
  videos: 'aggregators:admin-users:videos',
  viewings: 'aggregators:admin-users:viewings',
} as const;

/**
 * Keeps admin_users (each user's email, registration, log-ins, welcome email, roles, videos and
 * viewings), with each user's videos and viewings, for the admin portal. Four categories are four
 * subscribers, each with its own position and its own columns, so any may run ahead of the
 * others: a row is made by whichever comes first and filled in by the rest.
 */
export const adminUsersDefinition = {
  name: 'admin-users',
  background: true,
  tables: ['admin_users', 'admin_user_videos', 'admin_user_viewings', 'admin_user_viewers'],
  parts: [
    {
      subscriberId: ADMIN_USERS_SUBSCRIBER_IDS.identity,
      category: IDENTITY_CATEGORY,
      projection: () => identityProjection,
    },
    {
      subscriberId: ADMIN_USERS_SUBSCRIBER_IDS.authentication,
      category: AUTHENTICATION_CATEGORY,
      projection: () => authenticationProjection,
    },
    {
      subscriberId: ADMIN_USERS_SUBSCRIBER_IDS.videos,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => videosProjection,
    },
    {
      subscriberId: ADMIN_USERS_SUBSCRIBER_IDS.viewings,
      category: VIEWING_CATEGORY,
      projection: ({ viewingCountWindowMs }) => viewingsProjection(viewingCountWindowMs),
    },
  ],
} as const satisfies ProjectionDefinition;
