import type { Knex } from 'knex';

// The admin portal's view of the whole store (src/aggregators/admin-streams): streams,
// categories, message types and messages per minute, so no page counts message_store.messages.
// One subscriber reads every category in global order, so each row's guard (the global position
// of the last message counted into it) tells a replayed message from a new one.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_streams', (table) => {
    table.specificType('stream_name', 'text COLLATE "C"').primary();
    table.specificType('category', 'text COLLATE "C"').notNullable();
    // Positions in a stream are gapless from 0: the count is the last position + 1.
    table.bigInteger('message_count').notNullable();
    table.bigInteger('last_position').notNullable();
    table.bigInteger('last_global_position').notNullable();
    table.timestamp('last_time', { useTz: true }).notNullable();
  });
  // The streams list, most recently written first, in all categories or in one.
  await knex.raw('CREATE INDEX admin_streams_by_activity ON admin_streams (last_global_position DESC)');
  await knex.raw('CREATE INDEX admin_streams_by_category ON admin_streams (category, last_global_position DESC)');

  await knex.schema.createTable('admin_categories', (table) => {
    table.specificType('category', 'text COLLATE "C"').primary();
    table.bigInteger('message_count').notNullable();
    table.bigInteger('stream_count').notNullable();
    table.bigInteger('last_global_position').notNullable();
    table.timestamp('last_time', { useTz: true }).notNullable();
  });

  await knex.schema.createTable('admin_message_types', (table) => {
    table.specificType('category', 'text COLLATE "C"').notNullable();
    table.specificType('type', 'text COLLATE "C"').notNullable();
    table.bigInteger('message_count').notNullable();
    table.bigInteger('last_global_position').notNullable();
    table.timestamp('last_time', { useTz: true }).notNullable();
    table.primary(['category', 'type']);
  });

  await knex.schema.createTable('admin_message_minutes', (table) => {
    table.timestamp('minute', { useTz: true }).primary();
    table.bigInteger('message_count').notNullable();
    table.bigInteger('last_global_position').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_message_minutes');
  await knex.schema.dropTable('admin_message_types');
  await knex.schema.dropTable('admin_categories');
  await knex.schema.dropTable('admin_streams');
}
