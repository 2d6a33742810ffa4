import type { Knex } from 'knex';

// "Most watched this week" (src/aggregators/popular-videos): per video and UTC day, the viewings
// that counted by the counting rule (src/aggregators/viewing-counts), in a window table of its own
// as every projection that counts viewings has (a rebuild replaces only its own tables).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('video_daily_views', (table) => {
    table.uuid('video_id').notNullable();
    // The UTC day of the viewings' store time, the rule's clock.
    table.date('day').notNullable();
    // Counted viewings that day; 0 when every viewing that day was inside a visitor's window.
    table.bigInteger('views').notNullable().defaultTo(0);
    // The guard: the last viewing of the video applied on this day. The largest over a video's
    // rows is the last viewing of its stream taken in; one applied again changes nothing.
    table.bigInteger('position').notNullable();
    // The guard's and the upsert's lookup: a video's days.
    table.primary(['video_id', 'day']);
  });
  // The weekly ranking reads seven days of rows: an index-only range scan by day, without the table.
  await knex.raw('CREATE INDEX video_daily_views_by_day ON video_daily_views (day, video_id) INCLUDE (views)');
  await knex.schema.createTable('popular_video_viewers', (table) => {
    table.uuid('video_id').notNullable();
    // A keyed hash (src/web/visitor-key.ts); never an address or a session id.
    table.text('visitor_key').notNullable();
    // The store's time of the viewing that last counted.
    table.timestamp('counted_at', { useTz: true }).notNullable();
    table.primary(['video_id', 'visitor_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('popular_video_viewers');
  await knex.schema.dropTable('video_daily_views');
}
