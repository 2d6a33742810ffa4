import { viewingSchemas, VIEWING_CATEGORY, type ViewingEvent } from '../../contracts/viewing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import type { Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition, ProjectionSettings } from '../definition.ts';
import { countViewings } from '../viewing-counts/windows.ts';

export const HOME_PAGE_SUBSCRIBER_ID = 'aggregators:home-page';

function homePageProjection({ viewingCountWindowMs }: ProjectionSettings): BatchProjection<Recorded<ViewingEvent>> {
  return {
    parse: (message) => parseMessage(viewingSchemas, message),
    // A few statements for the whole batch, however many viewings it holds.
    async apply(events, trx) {
      const viewings = events.map((event) => ({ ...event.data, time: event.time }));
      const counted = (await countViewings(trx, 'home_page_viewers', viewings, viewingCountWindowMs)).filter(
        Boolean,
      ).length;
      if (counted > 0) await trx('home_page').where({ page_name: 'home' }).increment('videos_watched', counted);
    },
  };
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
export const homePageDefinition = {
  name: 'home-page',
  tables: ['home_page', 'home_page_viewers'],
  parts: [{ subscriberId: HOME_PAGE_SUBSCRIBER_ID, category: VIEWING_CATEGORY, projection: homePageProjection }],
  seed: async (trx) => {
    await trx('home_page').insert({ page_name: 'home' });
  },
} as const satisfies ProjectionDefinition;
