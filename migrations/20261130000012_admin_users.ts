import type { Knex } from 'knex';

// The admin portal's users (src/aggregators/admin-users). Four subscribers write admin_users,
// one per category, each only its own columns. The identity and authentication columns have a
// guard each (the global position of the last event applied): a user's events of one category
// share one stream, so the guard grows along it and a replay over the rows applies nothing
// twice. Videos and viewings come from many streams, so they are counted through their own
// rows instead: a video or a viewing is counted when its row is first inserted.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_users', (table) => {
    table.uuid('user_id').primary();
    // Byte order ("C"): a btree on it serves both the list's order and a prefix search (LIKE 'x%').
    table.specificType('email', 'text COLLATE "C"');
    table.timestamp('registered_at', { useTz: true });
    table.timestamp('welcome_email_sent_at', { useTz: true });
    table.specificType('roles', 'text[]').notNullable().defaultTo('{}');
    table.bigInteger('log_ins').notNullable().defaultTo(0);
    table.bigInteger('failed_log_ins').notNullable().defaultTo(0);
    table.timestamp('last_log_in_at', { useTz: true });
    table.bigInteger('videos').notNullable().defaultTo(0);
    table.bigInteger('viewings').notNullable().defaultTo(0);
    table.bigInteger('identity_position');
    table.bigInteger('authentication_position');
  });
  // The users list: keyset by (email, user_id), also for a search by the start of an address.
  await knex.raw('CREATE INDEX admin_users_by_email ON admin_users (email, user_id) WHERE email IS NOT NULL');

  await knex.schema.createTable('admin_user_videos', (table) => {
    table.uuid('video_id').primary();
    table.uuid('user_id').notNullable();
    table.text('name');
    // 'uploaded' | 'transcoding' | 'published' | 'failed' | 'unpublished'
    table.text('status').notNullable();
    table.timestamp('accepted_at', { useTz: true }).notNullable();
    // Of VideoPublishingAccepted: what the user's page links to.
    table.bigInteger('global_position').notNullable();
    // Of the video's last event applied; its events share one stream, so this guards the row.
    table.bigInteger('last_position').notNullable();
  });
  await knex.raw('CREATE INDEX admin_user_videos_by_user ON admin_user_videos (user_id, global_position DESC)');

  await knex.schema.createTable('admin_user_viewings', (table) => {
    // One row per VideoViewed of a logged-in user; the message's global position is its identity.
    table.bigInteger('global_position').primary();
    table.uuid('user_id').notNullable();
    table.uuid('video_id').notNullable();
    table.timestamp('viewed_at', { useTz: true }).notNullable();
  });
  await knex.raw('CREATE INDEX admin_user_viewings_by_user ON admin_user_viewings (user_id, global_position DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('admin_user_viewings');
  await knex.schema.dropTable('admin_user_videos');
  await knex.schema.dropTable('admin_users');
}
