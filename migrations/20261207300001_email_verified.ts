import type { Knex } from 'knex';

/**
 * Whether a user's current address is verified, kept by the user-credentials aggregator from
 * EmailVerified and EmailChanged. Existing rows start unverified (no one proved the address they
 * registered with before links existed); rebuilding the projection gives the same answer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_credentials', (table) => {
    table.boolean('email_verified').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_credentials', (table) => {
    table.dropColumn('email_verified');
  });
}
