import type { Knex } from 'knex';

// A video seen published is taken as published for this long without asking again: a viewing
// of one just taken down may still be taken within it, which the counts can bear.
const PUBLISHED_FOR_MS = 1_000;
// Each video seen lately is one entry; past this many they are all forgotten at once.
const MOST_REMEMBERED = 10_000;

/**
 * The catalog projection (videos, kept by the videos aggregator), the same the watch page reads:
 * an app reading a projection is how it learns what the rest of the system has decided. Videos
 * seen published are remembered for a second: under a stream of viewings that is one read of the
 * catalog per video per second instead of one per viewing. Refusals are never remembered, so a
 * video is viewable as soon as the catalog has it.
 */
export function createRecordViewingsQueries(db: Knex, now: () => number = Date.now) {
  const seenPublished = new Map<string, number>();
  return {
    async isPublished(videoId: string): Promise<boolean> {
      const seen = seenPublished.get(videoId);
      if (seen !== undefined && now() - seen < PUBLISHED_FOR_MS) return true;
      // A draft is watched by its creator (and admins) alone: those are not viewings to count.
      const row = await db('videos')
        .where({ video_id: videoId, status: 'published' })
        .whereNot('visibility', 'draft')
        .first('video_id');
      if (row === undefined) return false;
      if (seenPublished.size >= MOST_REMEMBERED) seenPublished.clear();
      seenPublished.set(videoId, now());
      return true;
    },
  };
}
