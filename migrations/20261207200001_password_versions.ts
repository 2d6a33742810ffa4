import type { Knex } from 'knex';

/**
 * A password change ends the sessions started before it without touching the sessions table
 * from a projection (no rebuild may touch it): user_credentials counts the user's
 * PasswordChanged events (password_version; password_changed_position makes applying one twice
 * harmless), each session records the count it was started under, and a session counts only
 * while its count is not behind its user's. Rebuilt from the events, the count comes out the same.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_credentials', (table) => {
    table.integer('password_version').notNullable().defaultTo(0);
    table.bigInteger('password_changed_position').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('sessions', (table) => {
    table.integer('password_version').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (table) => table.dropColumn('password_version'));
  await knex.schema.alterTable('user_credentials', (table) => {
    table.dropColumn('password_changed_position');
    table.dropColumn('password_version');
  });
}
