import { VIEWING_CATEGORY } from '../../contracts/viewing.ts';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { catalogProjection } from './catalog.ts';
import { viewsProjection } from './views.ts';

/** Renaming one replays its category: safe (the rows are guarded) but slow. */
export const VIDEOS_SUBSCRIBER_IDS = {
  catalog: 'aggregators:videos',
  views: 'aggregators:videos:views',
} as const;

/**
 * Keeps `videos`, the catalog viewers browse and each video's view count, from two categories:
 * the publishing events (accepted with a visibility, published, named, described, visibility and
 * poster changes, taken down, deleted) and the viewings. Two
 * categories are two subscribers, each with its own position, so either may be ahead of the
 * other: they write the same rows by upserts that touch only their own columns.
 */
export const videosDefinition = {
  name: 'videos',
  tables: ['videos', 'video_viewers', 'channel_views'],
  // The catalog's subscriber, then the views'.
  parts: [
    {
      subscriberId: VIDEOS_SUBSCRIBER_IDS.catalog,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => catalogProjection,
    },
    {
      subscriberId: VIDEOS_SUBSCRIBER_IDS.views,
      category: VIEWING_CATEGORY,
      projection: ({ viewingCountWindowMs }) => viewsProjection(viewingCountWindowMs),
    },
  ],
} as const satisfies ProjectionDefinition;
