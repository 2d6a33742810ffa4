import type { Knex } from 'knex';

// Issue 18, the read side: the admin pages say a video's visibility too (admin_user_videos, whose
// 'unpublished' rows become converted drafts, as creators_videos' and videos' did). The catalog
// lists only public videos, and a creator's channel page lists theirs newest first: one partial
// index each, so a page costs the same however many drafts and deleted videos there are.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('admin_user_videos', (table) => {
    table.text('visibility').notNullable().defaultTo('public');
  });
  await knex('admin_user_videos').where({ status: 'unpublished' }).update({ status: 'published', visibility: 'draft' });
  await knex.raw('DROP INDEX IF EXISTS videos_catalog');
  await knex.raw(
    `CREATE INDEX videos_catalog ON videos (published_at DESC, video_id DESC) WHERE status = 'published' AND visibility = 'public'`,
  );
  await knex.raw(
    `CREATE INDEX videos_channel ON videos (owner_id, published_at DESC, video_id DESC) WHERE status = 'published' AND visibility = 'public'`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS videos_channel');
  await knex.raw('DROP INDEX IF EXISTS videos_catalog');
  await knex.raw(`CREATE INDEX videos_catalog ON videos (published_at DESC, video_id DESC) WHERE status = 'published'`);
  await knex('admin_user_videos')
    .where({ status: 'published' })
    .whereIn('visibility', ['draft', 'unlisted'])
    .update({ status: 'unpublished' });
  await knex.schema.alterTable('admin_user_videos', (table) => {
    table.dropColumn('visibility');
  });
}
