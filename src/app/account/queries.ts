import type { Knex } from 'knex';

/** What the account page and the deletion read of the user's credentials row (user-credentials projection). */
export interface AccountRow {
  readonly userId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly registeredAt: Date;
  /** Confirmed by the link in the welcome email (or an email change's). */
  readonly emailVerified: boolean;
  /** From user_profiles; absent only while a new registration's row is on its way. */
  readonly displayName: string | undefined;
  readonly handle: string | undefined;
}

/** The user's videos that are on the site, or may be once converted (creators_videos). */
interface VideosUp {
  readonly published: readonly string[];
  readonly converting: readonly string[];
}

export function createAccountQueries(db: Knex) {
  return {
    async account(userId: string): Promise<AccountRow | undefined> {
      const row = await db('user_credentials as c')
        .leftJoin('user_profiles as p', 'p.user_id', 'c.user_id')
        .where({ 'c.user_id': userId })
        .first<
          | {
              user_id: string;
              email: string;
              password_hash: string;
              registered_at: Date;
              email_verified: boolean;
              display_name: string | null;
              handle: string | null;
            }
          | undefined
        >(
          'c.user_id',
          'c.email',
          'c.password_hash',
          'c.registered_at',
          'c.email_verified',
          'p.display_name',
          'p.handle',
        );
      return (
        row && {
          userId: row.user_id,
          email: row.email,
          passwordHash: row.password_hash,
          registeredAt: row.registered_at,
          emailVerified: row.email_verified,
          displayName: row.display_name ?? undefined,
          handle: row.handle ?? undefined,
        }
      );
    },
    async videosUp(userId: string): Promise<VideosUp> {
      const rows = await db('creators_videos')
        .where({ owner_id: userId })
        .whereIn('status', ['uploaded', 'transcoding', 'published'])
        // A draft is seen by nobody but its owner: there is nothing to take off the site.
        .whereNot('visibility', 'draft')
        .orderBy('uploaded_at')
        .select<{ video_id: string; status: string }[]>('video_id', 'status');
      return {
        published: rows.filter((row) => row.status === 'published').map((row) => row.video_id),
        converting: rows.filter((row) => row.status !== 'published').map((row) => row.video_id),
      };
    },
  };
}

export type AccountQueries = ReturnType<typeof createAccountQueries>;
