import { ALL_CATEGORIES } from '../../subscription/subscription.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { adminStreamsProjection } from './projection.ts';

/** Renaming it replays the whole store into the projection (safe: every row is guarded, but slow). */
export const ADMIN_STREAMS_SUBSCRIBER_ID = 'aggregators:admin-streams';

/**
 * Keeps admin_streams, admin_categories, admin_message_types and admin_message_minutes from
 * every category, read up to the safe horizon (a commit still in flight is waited for, never
 * passed). One subscriber, no consumer group: the all-categories reader takes none, and the
 * row guards rely on one reader going through the store in global order.
 */
export const adminStreamsDefinition = {
  name: 'admin-streams',
  background: true,
  tables: ['admin_streams', 'admin_categories', 'admin_message_types', 'admin_message_minutes'],
  parts: [
    { subscriberId: ADMIN_STREAMS_SUBSCRIBER_ID, category: ALL_CATEGORIES, projection: () => adminStreamsProjection },
  ],
} as const satisfies ProjectionDefinition;
