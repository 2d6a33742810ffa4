import type { Knex } from 'knex';

/** What the account page and the deletion read of the user's credentials row (user-credentials projection). */
export interface AccountRow {
  readonly userId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly registeredAt: Date;
}

/** The user's videos that are on the site, or may be once converted (creators_videos). */
interface VideosUp {
  readonly published: readonly string[];
  readonly converting: number;
}

export function createAccountQueries(db: Knex) {
  return {
    async account(userId: string): Promise<AccountRow | undefined> {
      const row = await db('user_credentials')
        .where({ user_id: userId })
        .first<{ user_id: string; email: string; password_hash: string; registered_at: Date } | undefined>(
          'user_id',
          'email',
          'password_hash',
          'registered_at',
        );
      return row && { userId: row.user_id, email: row.email, passwordHash: row.password_hash, registeredAt: row.registered_at };
    },
    async videosUp(userId: string): Promise<VideosUp> {
      const rows = await db('creators_videos')
        .where({ owner_id: userId })
        .whereIn('status', ['uploaded', 'transcoding', 'published'])
        .orderBy('uploaded_at')
        .select<{ video_id: string; status: string }[]>('video_id', 'status');
      return {
        published: rows.filter((row) => row.status === 'published').map((row) => row.video_id),
        converting: rows.filter((row) => row.status !== 'published').length,
      };
    },
  };
}

export type AccountQueries = ReturnType<typeof createAccountQueries>;
