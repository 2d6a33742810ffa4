import type { Knex } from 'knex';

/**
 * The per-user keys that seal personal fields in the message store. In a schema of its own and
 * not a projection: no rebuild or truncation of projections may touch it, since a lost key is an
 * erased user. Erasure sets `key` to NULL and stamps `erased_at`; the row stays as the record.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE SCHEMA IF NOT EXISTS personal_data');
  await knex.schema.withSchema('personal_data').createTable('personal_data_keys', (table) => {
    table.uuid('user_id').primary();
    table.binary('key');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('erased_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.withSchema('personal_data').dropTable('personal_data_keys');
  await knex.raw('DROP SCHEMA IF EXISTS personal_data');
}
