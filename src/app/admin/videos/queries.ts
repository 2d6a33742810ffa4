import type { Knex } from 'knex';

/** A video as the admin-users projection knows it, with its owner's address. */
export interface AdminVideo {
  readonly videoId: string;
  readonly ownerId: string;
  /** Null when the owner has no row yet, or was never registered. */
  readonly ownerEmail: string | null;
  /** The owner's display name (user_profiles); null without a row. */
  readonly ownerName: string | null;
  readonly name: string | null;
  /** 'uploaded' | 'transcoding' | 'published' | 'failed' | 'takenDown' | 'deleted' */
  readonly status: string;
  /** 'draft' | 'unlisted' | 'public': who may watch it once it is published. */
  readonly visibility: string;
  readonly acceptedAt: Date;
}

export function createVideoQueries(db: Knex) {
  return {
    async video(videoId: string): Promise<AdminVideo | undefined> {
      const row = await db('admin_user_videos as v')
        .leftJoin('admin_users as u', 'u.user_id', 'v.user_id')
        .leftJoin('user_profiles as p', 'p.user_id', 'v.user_id')
        .where('v.video_id', videoId)
        .first<
          | {
              video_id: string;
              user_id: string;
              email: string | null;
              display_name: string | null;
              name: string | null;
              status: string;
              visibility: string;
              accepted_at: Date;
            }
          | undefined
        >(
          'v.video_id',
          'v.user_id',
          'u.email',
          'p.display_name',
          'v.name',
          'v.status',
          'v.visibility',
          'v.accepted_at',
        );
      return (
        row && {
          videoId: row.video_id,
          ownerId: row.user_id,
          ownerEmail: row.email,
          ownerName: row.display_name,
          name: row.name,
          status: row.status,
          visibility: row.visibility,
          acceptedAt: row.accepted_at,
        }
      );
    },
  };
}
