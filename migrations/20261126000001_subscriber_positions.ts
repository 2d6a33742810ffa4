import type { Knex } from 'knex';

// Aggregators store how far they have read in the same transaction as their projection
// changes, which is what makes a crash at any instant neither lose nor double-apply an event.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('subscriber_positions', (table) => {
    table.text('subscriber_id').primary();
    table.bigInteger('position').notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('subscriber_positions');
}
