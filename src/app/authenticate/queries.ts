import type { Knex } from 'knex';
import { createPersonalData } from '../../personal-data/seal.ts';

interface Credentials {
  readonly userId: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly roles: readonly string[];
}

interface CredentialsRow {
  user_id: string;
  email: string;
  password_hash: string;
  roles: string[];
}

/** The user-credentials projection, as the log-in and role checks read it. */
export function createCredentialsQueries(db: Knex) {
  const personalData = createPersonalData(db);
  return {
    /**
     * The account log-in checks a password against. Oldest first: the identity component lets one
     * account own an address, but a projection rebuilt mid-way could briefly hold two; the first
     * registered is the owner. A user whose key is erased is never it: their row goes only when
     * UserErased is applied, and an erasure stopped before writing it (erase-user.ts deletes the
     * key first) must not leave their old password working, nor keep the address's next owner out.
     */
    async byEmail(email: string): Promise<Credentials | undefined> {
      const rows = await db<CredentialsRow>('user_credentials').where({ email }).orderBy('registered_at').select('*');
      for (const row of rows) {
        if (await personalData.isErased(row.user_id)) continue;
        return { userId: row.user_id, email: row.email, passwordHash: row.password_hash, roles: row.roles };
      }
      return undefined;
    },
    async rolesOf(userId: string): Promise<readonly string[]> {
      const row = await db<CredentialsRow>('user_credentials').where({ user_id: userId }).first('roles');
      return row?.roles ?? [];
    },
    /**
     * Whether a session's user still counts: credentials, and a key not erased (an erasure
     * stopped after deleting the key leaves the row until UserErased is applied). One read.
     */
    async exists(userId: string): Promise<boolean> {
      const row = await db('user_credentials as c')
        .where('c.user_id', userId)
        .whereNotExists(db('personal_data.personal_data_keys as k').whereRaw('k.user_id = c.user_id').whereNotNull('k.erased_at').select(db.raw('1')))
        .first('c.user_id');
      return row !== undefined;
    },
    /** Register's quick check: someone not erased holds the address (as byEmail, an erased user's row may linger). */
    async emailRegistered(email: string): Promise<boolean> {
      for (const userId of await db('user_credentials').where({ email }).pluck<string[]>('user_id')) {
        if (!(await personalData.isErased(userId))) return true;
      }
      return false;
    },
  };
}

export type CredentialsQueries = ReturnType<typeof createCredentialsQueries>;
