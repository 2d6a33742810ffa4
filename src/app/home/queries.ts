import type { Knex } from 'knex';
import type { CatalogPosition } from './cursor.ts';
import { cardVideo, type CardRow, type CardVideo } from '../videos/card-video.ts';
import { CREATOR_LABEL_SQL, withCreatorProfile } from '../videos/creator-label.ts';

interface HomePageView {
  readonly videosWatched: number;
}

/** A published video as the catalog lists it. */
interface CatalogVideo extends CardVideo {
  readonly views: number;
  readonly position: CatalogPosition;
}

export interface CatalogPage {
  readonly videos: readonly CatalogVideo[];
  /** Where the next page starts, when there is one. */
  readonly next: CatalogPosition | undefined;
}

interface CatalogRow extends CardRow {
  views: string;
  published_micros: string;
}

/**
 * Published public videos, newest first, after `after`, of one creator when `ownerId` is given
 * (the home page's catalog, a channel page): keyset, so a page costs the same however deep.
 */
export async function publicVideosPage(
  db: Knex,
  pageSize: number,
  { after, ownerId }: { readonly after?: CatalogPosition | undefined; readonly ownerId?: string | undefined },
): Promise<CatalogPage> {
  const query = withCreatorProfile(db('videos as v'))
    .where({ 'v.status': 'published', 'v.visibility': 'public' })
    .whereNotNull('v.published_at')
    .select<CatalogRow[]>(
      'v.video_id',
      'v.name',
      db.raw(CREATOR_LABEL_SQL),
      'v.duration_seconds',
      'v.views',
      'v.poster_uri',
      // Exact to the microsecond, so the next page starts exactly where this one ended.
      db.raw(`(extract(epoch from v.published_at) * 1000000)::bigint::text as published_micros`),
    )
    .orderBy([
      { column: 'v.published_at', order: 'desc' },
      { column: 'v.video_id', order: 'desc' },
    ])
    .limit(pageSize + 1);
  if (ownerId !== undefined) query.where('v.owner_id', ownerId);
  if (after) {
    query.whereRaw(`(v.published_at, v.video_id) < (to_timestamp(0) + ?::bigint * interval '1 microsecond', ?::uuid)`, [
      after.publishedMicros,
      after.videoId,
    ]);
  }
  const rows = await query;
  const videos = rows.slice(0, pageSize).map((row): CatalogVideo => ({
    ...cardVideo(row),
    views: Number(row.views),
    position: { publishedMicros: row.published_micros, videoId: row.video_id },
  }));
  return { videos, next: rows.length > pageSize ? videos.at(-1)?.position : undefined };
}

export function createHomeQueries(db: Knex) {
  return {
    async loadHomePage(): Promise<HomePageView> {
      const row = await db('home_page')
        .where({ page_name: 'home' })
        .first<{ videos_watched: string } | undefined>('videos_watched');
      return { videosWatched: row ? Number(row.videos_watched) : 0 };
    },

    /** Published public videos, newest first, after `after` (keyset: a page costs the same however deep). */
    catalogPage: (pageSize: number, after?: CatalogPosition): Promise<CatalogPage> =>
      publicVideosPage(db, pageSize, { after }),
  };
}
