import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_credentials', (table) => {
    table.uuid('user_id').primary();
    // Not unique here: the identity component decides who owns an address; the projection follows.
    table.text('email').notNullable().index();
    table.text('password_hash').notNullable();
    table.timestamp('registered_at', { useTz: true }).notNullable();
    table.specificType('roles', 'text[]').notNullable().defaultTo('{}');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_credentials');
}
