import type { Knex } from 'knex';

const WINDOW_TABLES = ['home_page_viewers', 'video_viewers', 'admin_user_viewers'] as const;

// Viewings count once per visitor and video per window (src/aggregators/viewing-counts). Each
// projection that counts them keeps, in a table of its own, when each visitor's viewing of each
// video last counted: a rebuild replaces one projection's tables and must leave the others'
// windows alone. One row per visitor and video ever counted, written by one subscriber (a video's
// viewings share a stream, so one consumer-group member). The admin portal shows a user's
// viewings both recorded and counted: viewings made before this, which name no visitor, all count.
export async function up(knex: Knex): Promise<void> {
  for (const name of WINDOW_TABLES) {
    await knex.schema.createTable(name, (table) => {
      table.uuid('video_id').notNullable();
      // A keyed hash (src/web/visitor-key.ts); never an address or a session id.
      table.text('visitor_key').notNullable();
      // The store's time of the viewing that last counted.
      table.timestamp('counted_at', { useTz: true }).notNullable();
      table.primary(['video_id', 'visitor_key']);
    });
  }
  await knex.schema.alterTable('admin_users', (table) => {
    table.bigInteger('counted_viewings').notNullable().defaultTo(0);
  });
  await knex('admin_users').update({ counted_viewings: knex.ref('viewings') });
  await knex.schema.alterTable('admin_user_viewings', (table) => {
    table.boolean('counted').notNullable().defaultTo(true);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('admin_user_viewings', (table) => {
    table.dropColumn('counted');
  });
  await knex.schema.alterTable('admin_users', (table) => {
    table.dropColumn('counted_viewings');
  });
  for (const name of [...WINDOW_TABLES].reverse()) await knex.schema.dropTable(name);
}
