import type { Knex } from 'knex';

// The table rate-limiter-flexible's PostgreSQL store reads and writes (its own shape), made by a
// migration so the app never needs the right to create tables at run time.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (table) => {
    table.string('key', 255).primary();
    table.integer('points').notNullable().defaultTo(0);
    table.bigInteger('expire');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
