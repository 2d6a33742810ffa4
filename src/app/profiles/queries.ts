import type { Knex } from 'knex';
import type { CatalogPosition } from '../home/cursor.ts';
import { publicVideosPage, type CatalogPage } from '../home/queries.ts';

interface PublicProfile {
  readonly userId: string;
  readonly displayName: string;
  readonly handle: string;
}

/** How many of a person's videos a page of their channel lists (newest first). */
const PAGE_VIDEOS = 12;

/** The profiles projection (user_profiles) and the catalog (videos). */
export function createProfileQueries(db: Knex) {
  return {
    async byHandle(handle: string): Promise<PublicProfile | undefined> {
      const row = await db('user_profiles')
        .where({ handle })
        .first<{ user_id: string; display_name: string; handle: string } | undefined>();
      return row && { userId: row.user_id, displayName: row.display_name, handle: row.handle };
    },

    /** Someone other than `userId` has it (a quick answer for the forms; identity decides). */
    async handleTaken(handle: string, userId?: string): Promise<boolean> {
      const query = db('user_profiles').where({ handle });
      if (userId !== undefined) query.whereNot({ user_id: userId });
      return (await query.first('user_id')) !== undefined;
    },

    /** A page of their public videos, newest first (the catalog's keyset). */
    videosPage: (userId: string, after?: CatalogPosition): Promise<CatalogPage> =>
      publicVideosPage(db, PAGE_VIDEOS, { after, ownerId: userId }),

    /** How often their public videos were watched, all together (kept by the videos projection: channel_views). */
    async totalViews(userId: string): Promise<number> {
      const row = await db('channel_views').where({ owner_id: userId }).first<{ views: string } | undefined>('views');
      return Number(row?.views ?? 0);
    },
  };
}

export type ProfileQueries = ReturnType<typeof createProfileQueries>;
