import type { Knex } from 'knex';

// Messages an aggregator passed over because their data breaks the contract (written by another
// program, or an old shape): kept for operators, in the same transaction as the position that
// moved past them, so none is skipped without a record.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('skipped_messages', (table) => {
    table.text('subscriber_id').notNullable();
    table.bigInteger('global_position').notNullable();
    table.integer('group_member').notNullable();
    table.integer('group_size').notNullable();
    table.uuid('message_id').notNullable();
    table.text('stream_name').notNullable();
    table.bigInteger('position').notNullable();
    table.text('type').notNullable();
    table.text('reason').notNullable();
    table.timestamp('skipped_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['subscriber_id', 'global_position']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('skipped_messages');
}
