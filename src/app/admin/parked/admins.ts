import type { Knex } from 'knex';

/**
 * The addresses of the admins who acted on parked messages, by user id: from the admin's users
 * projection (which reads "[erased]" for an erased user), else from the credentials every admin
 * logs in with (the projection may not have caught up with a new admin yet). An id in neither
 * is left out, and the page shows the id.
 */
export async function adminEmails(db: Knex, adminIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
  const ids = [...new Set(adminIds)].filter((id) => /^[0-9a-f-]{36}$/i.test(id));
  if (ids.length === 0) return new Map();
  const listed = await db('admin_users')
    .whereIn('user_id', ids)
    .whereNotNull('email')
    .select<{ user_id: string; email: string }[]>('user_id', 'email');
  const found = new Map(listed.map((row) => [row.user_id, row.email]));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    const credentials = await db('user_credentials')
      .whereIn('user_id', missing)
      .select<{ user_id: string; email: string }[]>('user_id', 'email');
    for (const row of credentials) found.set(row.user_id, row.email);
  }
  return found;
}
