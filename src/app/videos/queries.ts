import type { Knex } from 'knex';
import { CREATOR_LABEL_SQL, withCreatorProfile } from './creator-label.ts';

/** A published video as its watch page and media routes need it. */
export interface WatchableVideo {
  readonly videoId: string;
  readonly ownerId: string | null;
  readonly name: string | null;
  readonly description: string;
  readonly creator: string | null;
  /** Links the name to /@<handle>; null without a profile. */
  readonly creatorHandle: string | null;
  readonly views: number;
  readonly durationSeconds: number | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly transcodedUri: string;
  readonly posterUri: string;
}

interface WatchableRow {
  video_id: string;
  owner_id: string | null;
  name: string | null;
  description: string;
  creator: string | null;
  creator_handle: string | null;
  views: string;
  duration_seconds: number | null;
  width: number | null;
  height: number | null;
  transcoded_uri: string | null;
  poster_uri: string | null;
}

/** The catalog projection (videos), and the credentials projection for the creator's name. */
export function createVideoQueries(db: Knex) {
  return {
    /** Undefined unless the video is published and its files are known. */
    async published(videoId: string): Promise<WatchableVideo | undefined> {
      const row = await withCreatorProfile(db('videos as v'))
        .where({ 'v.video_id': videoId, 'v.status': 'published' })
        .first<WatchableRow | undefined>(
          'v.video_id',
          'v.owner_id',
          'v.name',
          'v.description',
          db.raw(CREATOR_LABEL_SQL),
          'v.views',
          'v.duration_seconds',
          'v.width',
          'v.height',
          'v.transcoded_uri',
          'v.poster_uri',
        );
      if (!row?.transcoded_uri || !row.poster_uri) return undefined;
      return {
        videoId: row.video_id,
        ownerId: row.owner_id,
        name: row.name,
        description: row.description,
        creator: row.creator || null,
        creatorHandle: row.creator_handle,
        views: Number(row.views),
        durationSeconds: row.duration_seconds,
        width: row.width,
        height: row.height,
        transcodedUri: row.transcoded_uri,
        posterUri: row.poster_uri,
      };
    },

    /** Was it taken down by an admin? Asked only of a video that is not published, to say so rather than "not found". */
    async takenDown(videoId: string): Promise<boolean> {
      return (await db('videos').where({ video_id: videoId, status: 'takenDown' }).first('video_id')) !== undefined;
    },
  };
}
