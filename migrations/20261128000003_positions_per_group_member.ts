import type { Knex } from 'knex';

// Members of a consumer group read disjoint streams of one category, so each needs its own
// position: keyed by subscriber alone, one member's progress would skip the other's messages.
// A subscriber outside any group is member 0 of 1, which keeps existing positions as they were.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.integer('group_member').notNullable().defaultTo(0);
    table.integer('group_size').notNullable().defaultTo(1);
  });
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.dropPrimary();
    table.primary(['subscriber_id', 'group_member', 'group_size']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('subscriber_positions').whereNot({ group_size: 1 }).del();
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.dropPrimary();
    table.primary(['subscriber_id']);
  });
  await knex.schema.alterTable('subscriber_positions', (table) => {
    table.dropColumn('group_member');
    table.dropColumn('group_size');
  });
}
