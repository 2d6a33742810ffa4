import type { Knex } from 'knex';

// "Most watched this week" (src/aggregators/popular-videos): per video and week, the viewings that
// counted by the counting rule (src/aggregators/viewing-counts), a week being the seven UTC days
// that end on `week_ending`. The windows are in a table of their own, as every projection that
// counts viewings has (a rebuild replaces only its own tables).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('video_weekly_views', (table) => {
    table.uuid('video_id').notNullable();
    // The week's last UTC day: the row sums the viewings of that day and the six before it.
    table.date('week_ending').notNullable();
    // Counted viewings in the week; 0 when every one of them was inside a visitor's window.
    table.bigInteger('views').notNullable().defaultTo(0);
    // The guard: the last viewing of the video applied to this week. The largest over a video's
    // rows is the last viewing of its stream taken in; one applied again changes nothing.
    table.bigInteger('position').notNullable();
    // The guard's and the upsert's lookup: a video's weeks.
    table.primary(['video_id', 'week_ending']);
  });
  // The ranking: this week's rows, most viewed first, ties by video id; read in index order.
  await knex.raw(
    'CREATE INDEX video_weekly_views_ranking ON video_weekly_views (week_ending, views DESC, video_id DESC)',
  );
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
  await knex.schema.dropTable('video_weekly_views');
}
