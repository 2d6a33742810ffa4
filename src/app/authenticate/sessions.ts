import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { preparedRows } from '../../db/prepared-statement.ts';
import { erasureOf } from '../../personal-data/seal.ts';
import { ADMIN_ROLE } from '../../contracts/identity.ts';
import { SESSION_MAX_AGE_MS, type SessionUser } from '../../web/request-context.ts';

const TABLE = 'sessions';
const SWEEP_BATCH = 100;
/**
 * Live sessions a user keeps: a log-in past this ends their oldest. A good password gives its try
 * back to the log-in limits, so nothing else bounds how many rows one account can make.
 */
const MOST_PER_USER = 20;
/** The table keeps a hash of each id: reading it gives nobody a cookie that works. */
const hashOf = (sessionId: string): string => createHash('sha256').update(sessionId).digest('hex');

/** A live session as its own user sees it on the account page. */
export interface SessionSummary {
  readonly loggedInAt: Date;
  readonly expiresAt: Date;
  /** The session of the browser asking: "this device". */
  readonly current: boolean;
}

interface SessionUserRow {
  user_id: string;
  email: string;
  roles: string[];
  display_name: string | null;
}

/**
 * Log-in sessions, on the server: the cookie carries a random id, and a request is logged in only
 * while its row is there. Log-out deletes the row, so a copy of the cookie stops working at once,
 * in every process (each request reads the table; nothing is cached).
 */
export function createSessions(db: Knex) {
  return {
    /**
     * A new session for `userId`; returns the id for the cookie. `passwordVersion` is the count of
     * password changes the password was checked against (read with the hash): a change applied
     * since then ends this session too. Without it, the count as it is now.
     */
    async start(userId: string, passwordVersion?: number): Promise<string> {
      const sessionId = randomBytes(32).toString('base64url');
      // Expired rows go a few at a time as people log in: no sweeper to run, and the table holds
      // little more than the live sessions.
      await db(TABLE)
        .whereIn('id_hash', db(TABLE).where('expires_at', '<=', db.fn.now()).select('id_hash').limit(SWEEP_BATCH))
        .delete();
      await db(TABLE).insert({
        id_hash: hashOf(sessionId),
        user_id: userId,
        expires_at: db.raw('now() + make_interval(secs => ?)', [SESSION_MAX_AGE_MS / 1000]),
        password_version:
          passwordVersion ??
          db.raw('COALESCE((SELECT password_version FROM user_credentials WHERE user_id = ?), 0)', [userId]),
      });
      const newest = db(TABLE)
        .where({ user_id: userId })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id_hash' }])
        .limit(MOST_PER_USER)
        .select('id_hash');
      await db(TABLE).where({ user_id: userId }).whereNotIn('id_hash', newest).delete();
      return sessionId;
    },
    async end(sessionId: string): Promise<void> {
      await db(TABLE)
        .where({ id_hash: hashOf(sessionId) })
        .delete();
    },
    /**
     * Keeps this session through the password change that will be the user's `passwordVersion`th
     * (its own change, on the account page), while every other session ends when it lands.
     */
    async keepThrough(sessionId: string, passwordVersion: number): Promise<void> {
      await db(TABLE)
        .where({ id_hash: hashOf(sessionId) })
        .update({ password_version: passwordVersion });
    },
    /** Ends every session of the user, in every browser ("log out everywhere", a password change). Returns how many. */
    async endAllFor(userId: string): Promise<number> {
      return db(TABLE).where({ user_id: userId }).delete();
    },
    /**
     * The user's live sessions, newest log-in first, the one `currentSessionId` names marked. A row
     * a password change ended (its count behind the user's) stays until it expires, but counts
     * for nothing (userOf), so it is not listed as a place the user is logged in.
     */
    async listFor(userId: string, currentSessionId: string | undefined): Promise<SessionSummary[]> {
      const rows = await db({ session: TABLE })
        .join({ credentials: 'user_credentials' }, 'credentials.user_id', 'session.user_id')
        .where('session.user_id', userId)
        .where('session.expires_at', '>', db.fn.now())
        .where('session.password_version', '>=', db.ref('credentials.password_version'))
        .orderBy([{ column: 'session.created_at', order: 'desc' }, { column: 'session.id_hash' }])
        .select<{ id_hash: string; created_at: Date; expires_at: Date }[]>(
          'session.id_hash',
          'session.created_at',
          'session.expires_at',
        );
      const current = currentSessionId === undefined ? undefined : hashOf(currentSessionId);
      return rows.map((row) => ({
        loggedInAt: row.created_at,
        expiresAt: row.expires_at,
        current: row.id_hash === current,
      }));
    },
    /**
     * Who a live session belongs to, with what the header shows, in one indexed read: the session
     * row, its user's credentials (deleted at erasure) and no erased key (an erasure stopped
     * before UserErased was written). Undefined for an ended or expired session, or a user gone.
     */
    async userOf(sessionId: string): Promise<SessionUser | undefined> {
      // Asked at every request with a session: prepared, as its text never changes.
      const [row] = await preparedRows<SessionUserRow>(
        db,
        db({ session: TABLE })
          .join({ credentials: 'user_credentials' }, 'credentials.user_id', 'session.user_id')
          // The name the header greets them by; a registration whose profile row is on its way has none yet.
          .leftJoin({ profile: 'user_profiles' }, 'profile.user_id', 'session.user_id')
          .where('session.id_hash', hashOf(sessionId))
          .where('session.expires_at', '>', db.fn.now())
          .whereNotExists(erasureOf(db, 'session.user_id'))
          // A password changed since the session began ends it (reset, or a change made elsewhere).
          .where('session.password_version', '>=', db.ref('credentials.password_version'))
          .first('session.user_id', 'credentials.email', 'credentials.roles', 'profile.display_name'),
      );
      return (
        row && {
          userId: row.user_id,
          email: row.email,
          displayName: row.display_name ?? undefined,
          admin: row.roles.includes(ADMIN_ROLE),
        }
      );
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
