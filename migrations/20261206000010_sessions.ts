import type { Knex } from 'knex';

/**
 * Log-in sessions, checked on every request by a logged-in browser: session state, not a
 * projection (no event rebuilds it, and no rebuild may touch it). The cookie carries a random
 * session id; the table keeps only its SHA-256, so a copy of the table logs nobody in. Log-out
 * deletes the row, "log out everywhere" every row of the user.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (table) => {
    table.string('id_hash', 64).primary();
    table.uuid('user_id').notNullable().index();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('expires_at', { useTz: true }).notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
}
