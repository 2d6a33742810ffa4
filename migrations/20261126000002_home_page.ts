import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('home_page', (table) => {
    table.text('page_name').primary();
    table.bigInteger('videos_watched').notNullable().defaultTo(0);
    // Guards the counter on its own, so applying one event twice counts it once.
    table.bigInteger('last_viewing_global_position').notNullable().defaultTo(0);
  });
  await knex('home_page').insert({ page_name: 'home' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('home_page');
}
