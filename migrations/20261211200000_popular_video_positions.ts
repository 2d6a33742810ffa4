import type { Knex } from 'knex';

// Issue 20, popular-videos keeping up: its guard, one row per video. The guard was the largest
// `position` over a video's week rows, seven new rows for each day it is viewed: every batch read
// all of them for each of its videos, and on a rebuild's tables (no statistics yet) PostgreSQL
// planned that as a parallel scan of the whole table, the most frequent statement of a rebuild.
// Now a video's guard is its own row, read by primary key; the week rows hold only counts.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('popular_video_positions', (table) => {
    table.uuid('video_id').primary();
    // The last viewing of the video's stream the week rows have taken in.
    table.bigInteger('position').notNullable();
  });
  await knex.raw(
    `INSERT INTO popular_video_positions (video_id, position)
     SELECT video_id, max(position) FROM video_weekly_views GROUP BY video_id`,
  );
  await knex.schema.alterTable('video_weekly_views', (table) => table.dropColumn('position'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('video_weekly_views', (table) =>
    table.bigInteger('position').notNullable().defaultTo(0),
  );
  await knex.raw(
    `UPDATE video_weekly_views w SET position = p.position FROM popular_video_positions p WHERE p.video_id = w.video_id`,
  );
  // As the column was made: no default (the 0 above only filled the rows already there).
  await knex.raw('ALTER TABLE video_weekly_views ALTER COLUMN position DROP DEFAULT');
  await knex.schema.dropTable('popular_video_positions');
}
