import type { Knex } from 'knex';

// Issue 19, a misspelled search: most misspellings are like one word of the titles
// ("kubernetis": "kubernetes"), and their close matches are that word's rows of
// video_search_ranks by head_score. Ranking them read all of them (2,865 for "kubernetes") and
// sorted them, 3.1 ms of PostgreSQL a search. In this index a page of them is one range.

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE INDEX video_search_ranks_head_score ON video_search_ranks (term, head_score, video_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS video_search_ranks_head_score');
}
