import type { Knex } from 'knex';

/** Up to this far in, a video starts from the beginning; past it, even a viewer who left after a few seconds is offered their place. */
export const RESUME_FROM_SECONDS = 2;
/** Past this share of its length, a video counts as watched: it is not offered to resume. */
export const WATCHED_FRACTION = 0.95;

/** Where a viewer stopped in a video, as the playback projection keeps it. */
export interface Stopped {
  readonly positionSeconds: number;
  readonly durationSeconds: number;
}

/** A video the viewer has not finished, for the home page's "Continue watching". */
export interface Unfinished extends Stopped {
  readonly videoId: string;
  readonly name: string | null;
  readonly posterUri: string | null;
}

interface StoppedRow {
  position_seconds: number;
  duration_seconds: number;
}

interface UnfinishedRow extends StoppedRow {
  video_id: string;
  name: string | null;
  poster_uri: string | null;
}

/** Started and not finished: the one rule for both the watch page and the home page. */
const isUnfinished = ({ positionSeconds, durationSeconds }: Stopped): boolean =>
  positionSeconds > RESUME_FROM_SECONDS && positionSeconds < durationSeconds * WATCHED_FRACTION;

/**
 * The catalog projection (videos) and the playback projection (playback_positions). A video
 * may be reported on while it is published and not a draft; the viewer's list keeps only the
 * ones they can still watch (published, public or unlisted), whatever happened since.
 */
export function createPlaybackQueries(db: Knex) {
  return {
    /** Whether progress in the video may be recorded: published, and no draft (only its creator watches one). */
    async isWatchable(videoId: string): Promise<boolean> {
      const row = await db('videos')
        .where({ video_id: videoId, status: 'published' })
        .whereNot('visibility', 'draft')
        .first('video_id');
      return row !== undefined;
    },

    /** Where the viewer stopped in the video, when it is worth resuming. */
    async resumeAt(userId: string, videoId: string): Promise<Stopped | undefined> {
      const row = await db('playback_positions')
        .where({ user_id: userId, video_id: videoId })
        .first<StoppedRow | undefined>('position_seconds', 'duration_seconds');
      if (!row) return undefined;
      const stopped = { positionSeconds: row.position_seconds, durationSeconds: row.duration_seconds };
      return isUnfinished(stopped) ? stopped : undefined;
    },

    /** The viewer's unfinished videos they can still watch, the latest watched first. */
    async unfinished(userId: string, limit: number): Promise<Unfinished[]> {
      const rows = await db('playback_positions as p')
        .join('videos as v', 'v.video_id', 'p.video_id')
        .where({ 'p.user_id': userId, 'v.status': 'published' })
        // Not published_at: the catalog sets it only when a video is first public, and an
        // unlisted video that never was is watched by its link all the same.
        .whereIn('v.visibility', ['public', 'unlisted'])
        .where('p.position_seconds', '>', RESUME_FROM_SECONDS)
        .whereRaw('p.position_seconds < p.duration_seconds * ?', [WATCHED_FRACTION])
        .orderBy([
          { column: 'p.watched_at', order: 'desc' },
          { column: 'p.video_id', order: 'asc' },
        ])
        .limit(limit)
        .select<UnfinishedRow[]>('p.video_id', 'v.name', 'v.poster_uri', 'p.position_seconds', 'p.duration_seconds');
      return rows.map((row) => ({
        videoId: row.video_id,
        name: row.name,
        posterUri: row.poster_uri,
        positionSeconds: row.position_seconds,
        durationSeconds: row.duration_seconds,
      }));
    },
  };
}
