import type { Knex } from 'knex';

/** One of the creator's own videos, as creators_videos (and the catalog's view count) hold it. */
export interface CreatorVideo {
  readonly videoId: string;
  readonly name: string | null;
  readonly description: string;
  /** 'uploaded' | 'transcoding' | 'published' | 'failed' | 'unpublished' | 'takenDown' */
  readonly status: string;
  readonly progress: number;
  readonly failureReason: string | null;
  /** An admin's, when it was taken down. */
  readonly takeDownReason: string | null;
  readonly posterUri: string | null;
  readonly durationSeconds: number | null;
  readonly views: number;
  readonly uploadedAt: Date;
}

/** A creator's action, followed by the trace id its command carried. */
export interface Operation {
  readonly videoId: string;
  readonly userId: string;
  /** 'publish' | 'name' | 'describe' | 'unpublish' */
  readonly kind: string;
  /** 'pending' | 'done' | 'failed' */
  readonly status: string;
  readonly reason: string | null;
}

interface CreatorVideoRow {
  video_id: string;
  name: string | null;
  description: string;
  status: string;
  progress: number;
  failure_reason: string | null;
  take_down_reason: string | null;
  poster_uri: string | null;
  duration_seconds: number | null;
  views: string | null;
  uploaded_at: Date;
}

const toVideo = (row: CreatorVideoRow): CreatorVideo => ({
  videoId: row.video_id,
  name: row.name,
  description: row.description,
  status: row.status,
  progress: row.progress,
  failureReason: row.failure_reason,
  takeDownReason: row.take_down_reason,
  posterUri: row.poster_uri,
  durationSeconds: row.duration_seconds,
  views: Number(row.views ?? 0),
  uploadedAt: row.uploaded_at,
});

export function createCreatorsPortalQueries(db: Knex) {
  /**
   * Whether the user has confirmed their address (user_credentials.email_verified, kept from
   * EmailVerified and EmailChanged). Until then they may watch but not upload.
   */
  async function emailVerified(userId: string): Promise<boolean> {
    const row = await db('user_credentials').where('user_id', userId).first<{ email_verified: boolean } | undefined>('email_verified');
    return row?.email_verified === true;
  }

  const creatorVideos = () =>
    db('creators_videos as cv')
      .leftJoin('videos as v', 'v.video_id', 'cv.video_id')
      .select<CreatorVideoRow[]>(
        'cv.video_id',
        'cv.name',
        'cv.description',
        'cv.status',
        'cv.progress',
        'cv.failure_reason',
        'cv.take_down_reason',
        'cv.poster_uri',
        'cv.duration_seconds',
        'v.views',
        'cv.uploaded_at',
      );

  return {
    emailVerified,
    /** Newest first, at most `limit`. */
    /** The name and handle the creator's videos are published under (user_profiles); undefined until it has them. */
    async publishedAs(ownerId: string): Promise<{ displayName: string; handle: string | null } | undefined> {
      const row = await db('user_profiles')
        .where({ user_id: ownerId })
        .first<{ display_name: string; handle: string | null } | undefined>('display_name', 'handle');
      return row && { displayName: row.display_name, handle: row.handle };
    },

    async videosOf(ownerId: string, limit: number): Promise<CreatorVideo[]> {
      const rows = await creatorVideos()
        .where('cv.owner_id', ownerId)
        .orderBy([
          { column: 'cv.uploaded_at', order: 'desc' },
          { column: 'cv.video_id', order: 'desc' },
        ])
        .limit(limit);
      return rows.map(toVideo);
    },

    /** How many of the creator's videos wait for a transcoder or are being transcoded. */
    async videosInHand(ownerId: string): Promise<number> {
      const row = await db('creators_videos')
        .where({ owner_id: ownerId })
        .whereIn('status', ['uploaded', 'transcoding'])
        .first<{ n: string }>(db.raw('count(*) AS n'));
      return Number(row?.n ?? 0);
    },

    /** The video if `ownerId` owns it; another creator's video is as absent as one that does not exist. */
    async ownedVideo(ownerId: string, videoId: string): Promise<CreatorVideo | undefined> {
      const [row] = await creatorVideos().where({ 'cv.owner_id': ownerId, 'cv.video_id': videoId }).limit(1);
      return row && toVideo(row);
    },

    async operation(traceId: string): Promise<Operation | undefined> {
      const row = await db('video_operations')
        .where({ trace_id: traceId })
        .first<{ video_id: string; user_id: string; kind: string; status: string; reason: string | null } | undefined>(
          'video_id',
          'user_id',
          'kind',
          'status',
          'reason',
        );
      return row && { videoId: row.video_id, userId: row.user_id, kind: row.kind, status: row.status, reason: row.reason };
    },

    /** Is it in the catalog yet? The operation's outcome and the catalog are kept by different subscribers. */
    async isPublished(videoId: string): Promise<boolean> {
      return (await db('videos').where({ video_id: videoId, status: 'published' }).first('video_id')) !== undefined;
    },
  };
}

export type CreatorsPortalQueries = ReturnType<typeof createCreatorsPortalQueries>;
