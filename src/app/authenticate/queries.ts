import type { Knex } from 'knex';
import { erasedUserIds } from '../../personal-data/seal.ts';

interface Credentials {
  readonly userId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
  /** How many times the password was changed: a session records it (sessions.ts). */
  readonly passwordVersion: number;
}

interface CredentialsRow {
  user_id: string;
  email: string;
  password_hash: string;
  roles: string[];
  password_version: number;
}

const credentialsOf = (row: CredentialsRow): Credentials => ({
  userId: row.user_id,
  email: row.email,
  passwordHash: row.password_hash,
  roles: row.roles,
  passwordVersion: row.password_version,
});

/** The user-credentials projection, as the log-in and role checks read it. */
export function createCredentialsQueries(db: Knex) {
  /**
   * Rows of users whose key is not erased. A row goes only when UserErased is applied; an erasure
   * stopped before writing it (erase-user.ts deletes the key first) must not leave the old
   * password or session working, nor keep the address's next owner out.
   */
  const notErased = () => db<CredentialsRow>('user_credentials').whereNotIn('user_id', erasedUserIds(db));
  return {
    /**
     * The account log-in checks a password against. Oldest first: the identity component lets one
     * account own an address, but a projection rebuilt mid-way could briefly hold two; the first
     * registered is the owner.
     */
    async byEmail(email: string): Promise<Credentials | undefined> {
      const row = await notErased().where({ email }).orderBy('registered_at').first('*');
      return row && credentialsOf(row);
    },
    /** The same, by user id (a logged-in user's password checked again). */
    async byUserId(userId: string): Promise<Credentials | undefined> {
      const row = await notErased().where({ user_id: userId }).first('*');
      return row && credentialsOf(row);
    },
    async rolesOf(userId: string): Promise<readonly string[]> {
      const row = await db<CredentialsRow>('user_credentials').where({ user_id: userId }).first('roles');
      return row?.roles ?? [];
    },
    /** Whether a session's user still counts: credentials, and a key not erased. One read. */
    async exists(userId: string): Promise<boolean> {
      return (await notErased().where({ user_id: userId }).first('user_id')) !== undefined;
    },
    /** Whether user_credentials has applied the user's PasswordChanged at `globalPosition` (or a later one). */
    async passwordChangeApplied(userId: string, globalPosition: number): Promise<boolean> {
      return (
        (await notErased()
          .where({ user_id: userId })
          .where('password_changed_position', '>=', globalPosition)
          .first('user_id')) !== undefined
      );
    },
    /** Register's quick check: someone not erased holds the address. */
    async emailRegistered(email: string): Promise<boolean> {
      return (await notErased().where({ email }).first('user_id')) !== undefined;
    },
  };
}

export type CredentialsQueries = ReturnType<typeof createCredentialsQueries>;
