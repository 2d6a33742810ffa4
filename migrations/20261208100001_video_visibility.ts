import type { Knex } from 'knex';

// Issue 18: a video is a draft, unlisted or public (VideoPublishingAccepted, VideoVisibilityChanged;
// VideoUnpublished reads as draft), and offers poster candidates (VideoPublished). Rows made before
// were all public on conversion, which the defaults say; deleted videos (VideoDeleted) stay as a
// tombstone row, status 'deleted' with their text cleared, so a late or replayed event of theirs
// cannot bring them back.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('creators_videos', (table) => {
    table.text('visibility').notNullable().defaultTo('public');
    table.jsonb('poster_candidate_uris').notNullable().defaultTo('[]');
  });
  await knex.schema.alterTable('videos', (table) => {
    table.text('visibility').notNullable().defaultTo('public');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('videos', (table) => {
    table.dropColumn('visibility');
  });
  await knex.schema.alterTable('creators_videos', (table) => {
    table.dropColumn('poster_candidate_uris');
    table.dropColumn('visibility');
  });
}
