import type { Knex } from 'knex';

// The read side of creators and viewers: the catalog (videos), each creator's own list
// (creators_videos) and the progress of each command a creator sent (video_operations).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('videos', (table) => {
    table.uuid('video_id').primary();
    // Null until the publishing events arrive: a viewing may be counted before them.
    table.uuid('owner_id');
    table.text('name');
    table.text('description').notNullable().defaultTo('');
    // 'published' | 'unpublished' | null (not published yet)
    table.text('status');
    table.text('transcoded_uri');
    table.text('poster_uri');
    table.double('duration_seconds');
    table.integer('width');
    table.integer('height');
    table.bigInteger('views').notNullable().defaultTo(0);
    table.timestamp('published_at', { useTz: true });
  });
  // The catalog's keyset: newest published first.
  await knex.raw(`CREATE INDEX videos_catalog ON videos (published_at DESC, video_id DESC) WHERE status = 'published'`);

  await knex.schema.createTable('creators_videos', (table) => {
    table.uuid('video_id').primary();
    table.uuid('owner_id').notNullable();
    table.text('name');
    table.text('description').notNullable().defaultTo('');
    // 'uploaded' | 'transcoding' | 'published' | 'failed' | 'unpublished'
    table.text('status').notNullable();
    table.integer('progress').notNullable().defaultTo(0);
    table.text('failure_reason');
    table.text('poster_uri');
    table.double('duration_seconds');
    table.timestamp('uploaded_at', { useTz: true }).notNullable();
    table.index(['owner_id', 'uploaded_at']);
  });

  await knex.schema.createTable('video_operations', (table) => {
    // One operation per creator action, found by the trace id its command carries.
    table.uuid('trace_id').primary();
    table.uuid('video_id').notNullable();
    table.uuid('user_id').notNullable();
    // 'publish' | 'name' | 'describe' | 'unpublish'
    table.text('kind').notNullable();
    // 'pending' | 'done' | 'failed'
    table.text('status').notNullable();
    table.text('reason');
    table.timestamp('updated_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('video_operations');
  await knex.schema.dropTable('creators_videos');
  await knex.schema.dropTable('videos');
}
