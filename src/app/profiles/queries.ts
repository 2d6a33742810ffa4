import type { Knex } from 'knex';

interface PublicProfile {
  readonly userId: string;
  readonly displayName: string;
  readonly handle: string;
}

interface ProfileVideo {
  readonly videoId: string;
  readonly name: string | null;
  readonly durationSeconds: number | null;
  readonly views: number;
}

/** How many of a person's videos their page lists (newest first). */
const PAGE_VIDEOS = 60;

/** The profiles projection (user_profiles) and the catalog (videos). */
export function createProfileQueries(db: Knex) {
  return {
    async byHandle(handle: string): Promise<PublicProfile | undefined> {
      const row = await db('user_profiles').where({ handle }).first<{ user_id: string; display_name: string; handle: string } | undefined>();
      return row && { userId: row.user_id, displayName: row.display_name, handle: row.handle };
    },

    /** Someone other than `userId` has it (a quick answer for the forms; identity decides). */
    async handleTaken(handle: string, userId?: string): Promise<boolean> {
      const query = db('user_profiles').where({ handle });
      if (userId !== undefined) query.whereNot({ user_id: userId });
      return (await query.first('user_id')) !== undefined;
    },

    /** Their published videos, newest first. */
    async publishedVideos(userId: string): Promise<ProfileVideo[]> {
      const rows = await db('videos')
        .where({ owner_id: userId, status: 'published' })
        .whereNotNull('published_at')
        .orderBy([
          { column: 'published_at', order: 'desc' },
          { column: 'video_id', order: 'desc' },
        ])
        .limit(PAGE_VIDEOS)
        .select<{ video_id: string; name: string | null; duration_seconds: number | null; views: string }[]>('video_id', 'name', 'duration_seconds', 'views');
      return rows.map((row) => ({ videoId: row.video_id, name: row.name, durationSeconds: row.duration_seconds, views: Number(row.views) }));
    },
  };
}

export type ProfileQueries = ReturnType<typeof createProfileQueries>;
