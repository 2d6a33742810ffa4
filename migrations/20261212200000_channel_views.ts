import type { Knex } from 'knex';

// Issue 20 §3, a channel of 6,068 videos: its page summed their views at every request, reading
// a row from each of 4,583 heap blocks (70 ms alone, 62/131 ms p50/p99 at 10 connections). The
// videos projection keeps each creator's total here instead: the views subscriber adds a batch's
// increments of the videos on a channel, the catalog subscriber a video's whole count when it
// comes onto a channel (published and public) and takes it away when it goes off.

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE TABLE channel_views (owner_id uuid PRIMARY KEY, views bigint NOT NULL)');
  await knex.raw(
    `INSERT INTO channel_views (owner_id, views)
     SELECT owner_id, sum(views) FROM videos
      WHERE owner_id IS NOT NULL AND status = 'published' AND visibility = 'public'
      GROUP BY owner_id`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS channel_views');
}
