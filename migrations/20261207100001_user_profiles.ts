import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_profiles', (table) => {
    table.uuid('user_id').primary();
    table.text('display_name').notNullable();
    // Unique as the pages look it up; null only for a row whose handle a newer holder took
    // before this row's user's own change or erasure was applied (src/aggregators/user-profiles).
    table.text('handle').unique();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_profiles');
}
