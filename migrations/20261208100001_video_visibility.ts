import type { Knex } from 'knex';

// Issue 18: a video is a draft, unlisted or public (VideoPublishingAccepted, VideoVisibilityChanged;
// VideoUnpublished reads as draft), and offers poster candidates (VideoPublished). Rows made before
// were all public on conversion, which the defaults say; deleted videos (VideoDeleted) stay as a
// tombstone row, status 'deleted' with their text cleared, so a late or replayed event of theirs
// cannot bring them back. An unpublished video is now a converted draft, which its owner can make
// public again: the rows say so. failed_at lets the portal drop a failed upload from its list
// after 7 days (its files went when it failed).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('creators_videos', (table) => {
    table.text('visibility').notNullable().defaultTo('public');
    table.jsonb('poster_candidate_uris').notNullable().defaultTo('[]');
    table.timestamp('failed_at', { useTz: true });
  });
  await knex.schema.alterTable('videos', (table) => {
    table.text('visibility').notNullable().defaultTo('public');
  });
  for (const table of ['creators_videos', 'videos']) {
    await knex(table).where({ status: 'unpublished' }).update({ status: 'published', visibility: 'draft' });
  }
}

export async function down(knex: Knex): Promise<void> {
  // Without visibility a published row is listed: a draft or an unlisted video must not become
  // public by a rollback, so both go back to what the code before kept out of every list.
  for (const table of ['creators_videos', 'videos']) {
    await knex(table)
      .where({ status: 'published' })
      .whereIn('visibility', ['draft', 'unlisted'])
      .update({ status: 'unpublished' });
  }
  await knex.schema.alterTable('videos', (table) => {
    table.dropColumn('visibility');
  });
  await knex.schema.alterTable('creators_videos', (table) => {
    table.dropColumn('failed_at');
    table.dropColumn('poster_candidate_uris');
    table.dropColumn('visibility');
  });
}
