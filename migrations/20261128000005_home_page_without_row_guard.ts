import type { Knex } from 'knex';

// The home page counter was guarded by a single "last viewing applied" position, which assumes
// one reader in global order: wrong once a consumer group splits the category (a member behind
// the other would have its viewings dropped). The aggregator's position, committed in the same
// transaction as the count, is the guard now.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('home_page', (table) => {
    table.dropColumn('last_viewing_global_position');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('home_page', (table) => {
    table.bigInteger('last_viewing_global_position').notNullable().defaultTo(0);
  });
}
