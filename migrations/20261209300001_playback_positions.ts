import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Where each viewer stopped in each video (src/aggregators/playback): the latest report only.
  await knex.schema.createTable('playback_positions', (table) => {
    table.uuid('user_id').notNullable();
    table.uuid('video_id').notNullable();
    table.double('position_seconds').notNullable();
    table.double('duration_seconds').notNullable();
    // When the report was written (the message's time): the home page lists the latest first.
    table.timestamp('watched_at', { useTz: true }).notNullable();
    // The report's position in playback-<userId>: an older or redelivered one never moves the row back.
    table.bigInteger('stream_position').notNullable();
    table.primary(['user_id', 'video_id']);
    table.index(['user_id', 'watched_at'], 'playback_positions_user_watched_at');
  });
  // Each viewer's last "clear my history": reports from before it are never applied again.
  await knex.schema.createTable('playback_clears', (table) => {
    table.uuid('user_id').primary();
    table.bigInteger('cleared_position').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('playback_clears');
  await knex.schema.dropTable('playback_positions');
}
