import type { Knex } from 'knex';
import { VISIBILITIES, type Visibility } from '../../contracts/video-publishing.ts';
import { isVideoStoreUri } from '../../video-store/keys.ts';

/** A failed upload stays in its creator's list this long, to be read, deleted or tried again. */
const FAILED_LISTED_FOR_MS = 7 * 24 * 60 * 60 * 1000;

/** One of the creator's own videos, as creators_videos (and the catalog's view count) hold it. */
export interface CreatorVideo {
  readonly videoId: string;
  readonly name: string | null;
  readonly description: string;
  /** 'uploaded' | 'transcoding' | 'published' (converted) | 'failed' | 'takenDown' | 'deleted' (never shown) */
  readonly status: string;
  readonly visibility: Visibility;
  readonly progress: number;
  readonly failureReason: string | null;
  /** An admin's, when it was taken down. */
  readonly takeDownReason: string | null;
  readonly posterUri: string | null;
  /** Frames of the video its creator may pick as the poster, in order. */
  readonly posterCandidateUris: readonly string[];
  /** The converted file, once the catalog has it. */
  readonly transcodedUri: string | null;
  readonly durationSeconds: number | null;
  readonly views: number;
  readonly uploadedAt: Date;
}

/** A creator's action, followed by the trace id its command carried. */
export interface Operation {
  readonly videoId: string;
  readonly userId: string;
  /** 'publish' | 'name' | 'describe' | 'unpublish' | 'visibility' | 'delete' | 'poster' */
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
  visibility: string;
  progress: number;
  failure_reason: string | null;
  take_down_reason: string | null;
  poster_uri: string | null;
  poster_candidate_uris: unknown;
  transcoded_uri: string | null;
  duration_seconds: number | null;
  views: string | null;
  uploaded_at: Date;
}

// An odd value in the column is read as the narrowest visibility: never shown wider than meant.
const visibilityOf = (value: string): Visibility =>
  ((VISIBILITIES as readonly string[]).find((known) => known === value) as Visibility | undefined) ?? 'draft';

const toVideo = (row: CreatorVideoRow): CreatorVideo => ({
  videoId: row.video_id,
  name: row.name,
  description: row.description,
  // 'unpublished' is from before visibility: a converted draft (the migration rewrote such rows).
  status: row.status === 'unpublished' ? 'published' : row.status,
  visibility: row.status === 'unpublished' ? 'draft' : visibilityOf(row.visibility),
  progress: row.progress,
  failureReason: row.failure_reason,
  takeDownReason: row.take_down_reason,
  posterUri: row.poster_uri,
  posterCandidateUris: Array.isArray(row.poster_candidate_uris)
    ? row.poster_candidate_uris.filter((uri): uri is string => typeof uri === 'string' && isVideoStoreUri(uri))
    : [],
  transcodedUri: row.transcoded_uri,
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
    const row = await db('user_credentials')
      .where('user_id', userId)
      .first<{ email_verified: boolean } | undefined>('email_verified');
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
        'cv.visibility',
        'cv.progress',
        'cv.failure_reason',
        'cv.take_down_reason',
        'cv.poster_uri',
        'cv.poster_candidate_uris',
        'v.transcoded_uri',
        'cv.duration_seconds',
        'v.views',
        'cv.uploaded_at',
      );

  return {
    emailVerified,
    /** The name and handle the creator's videos are published under (user_profiles); undefined until it has them. */
    async publishedAs(ownerId: string): Promise<{ displayName: string; handle: string | null } | undefined> {
      const row = await db('user_profiles')
        .where({ user_id: ownerId })
        .first<{ display_name: string; handle: string | null } | undefined>('display_name', 'handle');
      return row && { displayName: row.display_name, handle: row.handle };
    },

    /** Newest first, at most `limit`; not deleted ones, nor uploads that failed more than a week before `now`. */
    async videosOf(ownerId: string, limit: number, now: Date = new Date()): Promise<CreatorVideo[]> {
      const rows = await creatorVideos()
        .where('cv.owner_id', ownerId)
        .whereNot('cv.status', 'deleted')
        .where((recent) => {
          // A row that failed before failed_at was kept has none: its upload time stands in for it
          // (it failed after it), so old failures leave the list too instead of staying for ever.
          void recent
            .whereNot('cv.status', 'failed')
            .orWhereRaw('coalesce(cv.failed_at, cv.uploaded_at) > ?', [new Date(now.getTime() - FAILED_LISTED_FOR_MS)]);
        })
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

    /** The video if `ownerId` owns it; another creator's video, or a deleted one, is as absent as one that does not exist. */
    async ownedVideo(ownerId: string, videoId: string): Promise<CreatorVideo | undefined> {
      const [row] = await creatorVideos()
        .where({ 'cv.owner_id': ownerId, 'cv.video_id': videoId })
        .whereNot('cv.status', 'deleted')
        .limit(1);
      return row && toVideo(row);
    },

    /** The operations of one creator action, one per command kind it sent (an upload may send three). */
    async operations(traceId: string): Promise<Operation[]> {
      const rows = await db('video_operations')
        .where({ trace_id: traceId })
        .select<{ video_id: string; user_id: string; kind: string; status: string; reason: string | null }[]>(
          'video_id',
          'user_id',
          'kind',
          'status',
          'reason',
        );
      return rows.map((row) => ({
        videoId: row.video_id,
        userId: row.user_id,
        kind: row.kind,
        status: row.status,
        reason: row.reason,
      }));
    },

    /** Is it in the catalog yet? The operation's outcome and the catalog are kept by different subscribers. */
    async isPublished(videoId: string): Promise<boolean> {
      return (await db('videos').where({ video_id: videoId, status: 'published' }).first('video_id')) !== undefined;
    },
  };
}

export type CreatorsPortalQueries = ReturnType<typeof createCreatorsPortalQueries>;
