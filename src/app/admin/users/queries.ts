import type { Knex } from 'knex';
import { STILL_UP } from '../../../aggregators/admin-users/videos.ts';
import type { UserListPosition } from './cursor.ts';

export interface AdminUser {
  readonly userId: string;
  readonly email: string | null;
  /** From user_profiles; null until it has the user (or once they are erased). */
  readonly displayName: string | null;
  readonly handle: string | null;
  readonly registeredAt: Date | null;
  readonly welcomeEmailSentAt: Date | null;
  readonly roles: readonly string[];
  readonly logIns: number;
  readonly failedLogIns: number;
  readonly lastLogInAt: Date | null;
  readonly videos: number;
  /** Uploaded, converting or published: what an erasure would take down (the page shows the number, not the list). */
  readonly videosStillUp: number;
  /** Every viewing recorded, and those the counts took (one per video per window). */
  readonly viewings: number;
  readonly countedViewings: number;
}

interface UserRow {
  user_id: string;
  email: string | null;
  display_name: string | null;
  handle: string | null;
  registered_at: Date | null;
  welcome_email_sent_at: Date | null;
  roles: string[];
  log_ins: string;
  failed_log_ins: string;
  last_log_in_at: Date | null;
  videos: string;
  videos_still_up: number;
  viewings: string;
  counted_viewings: string;
}

const USER_COLUMNS = [
  'a.user_id',
  'a.email',
  'p.display_name',
  'p.handle',
  'a.registered_at',
  'a.welcome_email_sent_at',
  'a.roles',
  'a.log_ins',
  'a.failed_log_ins',
  'a.last_log_in_at',
  'a.videos',
  'a.videos_still_up',
  'a.viewings',
  'a.counted_viewings',
];

/** admin_users as `a`, with the name and handle each user shows (user_profiles as `p`). */
const usersWithProfiles = (db: Knex) => db('admin_users as a').leftJoin('user_profiles as p', 'p.user_id', 'a.user_id');

function userOf(row: UserRow): AdminUser {
  return {
    userId: row.user_id,
    email: row.email,
    displayName: row.display_name,
    handle: row.handle,
    registeredAt: row.registered_at,
    welcomeEmailSentAt: row.welcome_email_sent_at,
    roles: row.roles,
    logIns: Number(row.log_ins),
    failedLogIns: Number(row.failed_log_ins),
    lastLogInAt: row.last_log_in_at,
    videos: Number(row.videos),
    videosStillUp: row.videos_still_up,
    viewings: Number(row.viewings),
    countedViewings: Number(row.counted_viewings),
  };
}

/** Someone admin-users has no row for yet (refused as "email taken", a Register never handled): nothing but their id. */
export function unlistedUser(userId: string): AdminUser {
  return {
    userId,
    email: null,
    displayName: null,
    handle: null,
    registeredAt: null,
    welcomeEmailSentAt: null,
    roles: [],
    logIns: 0,
    failedLogIns: 0,
    lastLogInAt: null,
    videos: 0,
    videosStillUp: 0,
    viewings: 0,
    countedViewings: 0,
  };
}

export interface UserVideo {
  readonly videoId: string;
  readonly name: string | null;
  readonly status: string;
  readonly acceptedAt: Date;
  readonly globalPosition: number;
}

interface UsersPage {
  readonly users: readonly AdminUser[];
  readonly next: UserListPosition | undefined;
}

/** LIKE's own characters in what an admin typed are searched for, not used as wildcards. */
const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (character) => `\\${character}`);

export function createUsersQueries(db: Knex) {
  return {
    /**
     * Registered users by email, in keyset pages on (email, user_id); a search keeps those whose
     * address starts with it. Both are served by admin_users_by_email (the column sorts bytewise,
     * so a prefix LIKE is an index range), however many users there are.
     */
    async list({
      search,
      after,
      pageSize,
    }: {
      search: string | undefined;
      after: UserListPosition | undefined;
      pageSize: number;
    }): Promise<UsersPage> {
      const query = usersWithProfiles(db)
        .whereNotNull('a.email')
        .orderBy([{ column: 'a.email' }, { column: 'a.user_id' }])
        .limit(pageSize + 1)
        .select<UserRow[]>(USER_COLUMNS);
      if (search) query.whereRaw('a.email LIKE ?', [`${escapeLike(search)}%`]);
      if (after) query.whereRaw('(a.email, a.user_id) > (?, ?::uuid)', [after.email, after.userId]);
      const rows = await query;
      const users = rows.slice(0, pageSize).map(userOf);
      const last = users.at(-1);
      return {
        users,
        next: rows.length > pageSize && last?.email ? { email: last.email, userId: last.userId } : undefined,
      };
    },

    async user(userId: string): Promise<AdminUser | undefined> {
      const row = await usersWithProfiles(db).where({ 'a.user_id': userId }).first<UserRow | undefined>(USER_COLUMNS);
      return row && userOf(row);
    },

    /**
     * Their videos that are on the site or may yet be: published, or uploaded and not yet
     * converted (those would be published when their transcode ends). Failed, unpublished and
     * taken-down videos are not, and cannot come back.
     */
    async videosStillUp(userId: string): Promise<{ videoId: string; status: string }[]> {
      const rows = await db('admin_user_videos')
        .where({ user_id: userId })
        .whereIn('status', [...STILL_UP])
        .orderBy('global_position')
        .select<{ video_id: string; status: string }[]>('video_id', 'status');
      return rows.map((row) => ({ videoId: row.video_id, status: row.status }));
    },

    /** Their newest videos first; deleted ones are in no list (their admin page and stream remain). */
    async videos(userId: string, limit: number): Promise<UserVideo[]> {
      const rows = await db('admin_user_videos')
        .where({ user_id: userId })
        .whereNot({ status: 'deleted' })
        .orderBy('global_position', 'desc')
        .limit(limit)
        .select<
          { video_id: string; name: string | null; status: string; accepted_at: Date; global_position: string }[]
        >('video_id', 'name', 'status', 'accepted_at', 'global_position');
      return rows.map((row) => ({
        videoId: row.video_id,
        name: row.name,
        status: row.status,
        acceptedAt: row.accepted_at,
        globalPosition: Number(row.global_position),
      }));
    },
  };
}
