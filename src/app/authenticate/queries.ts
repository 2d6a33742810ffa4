import type { Knex } from 'knex';

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
  return {
    async byEmail(email: string): Promise<Credentials | undefined> {
      // Oldest first: the identity component lets one account own an address, but a projection
      // rebuilt mid-way could briefly hold two; the first registered is the owner.
      const row = await db<CredentialsRow>('user_credentials').where({ email }).orderBy('registered_at').first();
      return row && { userId: row.user_id, email: row.email, passwordHash: row.password_hash, roles: row.roles };
    },
    async rolesOf(userId: string): Promise<readonly string[]> {
      const row = await db<CredentialsRow>('user_credentials').where({ user_id: userId }).first('roles');
      return row?.roles ?? [];
    },
    async exists(userId: string): Promise<boolean> {
      return (await db('user_credentials').where({ user_id: userId }).first('user_id')) !== undefined;
    },
    async emailRegistered(email: string): Promise<boolean> {
      return (await db('user_credentials').where({ email }).first('user_id')) !== undefined;
    },
  };
}

export type CredentialsQueries = ReturnType<typeof createCredentialsQueries>;
