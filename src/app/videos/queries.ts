import type { Knex } from 'knex';
import { preparedRows } from '../../db/prepared-statement.ts';
import { isVisibility, type Visibility } from '../../contracts/video-publishing.ts';
import { CREATOR_LABEL_SQL, withCreatorProfile } from './creator-label.ts';

/** A published (converted) video as its watch page and media routes need it; who may see it is its visibility. */
export interface WatchableVideo {
  readonly videoId: string;
  readonly ownerId: string | null;
  readonly visibility: Visibility;
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

/** Why a video is not watchable, when its row says; with whose it was and who could watch it, to tell only those who could. */
export interface Gone {
  readonly gone: 'takenDown' | 'deleted';
  readonly ownerId: string | null;
  readonly visibility: Visibility;
}

interface WatchableRow {
  video_id: string;
  owner_id: string | null;
  status: string | null;
  visibility: string;
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
    /**
     * The video when it is converted and its files are known, whatever its visibility (the caller
     * decides who sees it); else why it is gone, if it is; else undefined.
     */
    async video(videoId: string): Promise<WatchableVideo | Gone | undefined> {
      // Asked at every watch page, poster and video request: prepared, as its text never changes.
      const [row] = await preparedRows<WatchableRow>(
        db,
        withCreatorProfile(db('videos as v'))
          .where({ 'v.video_id': videoId })
          .first(
            'v.video_id',
            'v.owner_id',
            'v.status',
            'v.visibility',
            'v.name',
            'v.description',
            db.raw(CREATOR_LABEL_SQL),
            'v.views',
            'v.duration_seconds',
            'v.width',
            'v.height',
            'v.transcoded_uri',
            'v.poster_uri',
          ),
      );
      if (!row) return undefined;
      // A value this code does not know is treated as the most private.
      const visibility = isVisibility(row.visibility) ? row.visibility : 'draft';
      if (row.status === 'takenDown' || row.status === 'deleted')
        return { gone: row.status, ownerId: row.owner_id, visibility };
      if (row.status !== 'published' || !row.transcoded_uri || !row.poster_uri) return undefined;
      return {
        videoId: row.video_id,
        ownerId: row.owner_id,
        visibility,
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
  };
}
