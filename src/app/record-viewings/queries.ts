import type { Knex } from 'knex';

/**
 * The catalog projection (videos, kept by the videos aggregator), the same the watch page reads:
 * an app reading a projection is how it learns what the rest of the system has decided.
 */
export function createRecordViewingsQueries(db: Knex) {
  return {
    async isPublished(videoId: string): Promise<boolean> {
      const row = await db('videos').where({ video_id: videoId, status: 'published' }).first('video_id');
      return row !== undefined;
    },
  };
}
