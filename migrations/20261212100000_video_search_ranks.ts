import type { Knex } from 'knex';

// Issue 19, a search nobody asked for just before: ranking a common word's title matches read
// every one of them. "python" is in 2,816 titles of 100,000, and ts_rank read each one's vector
// from 2,533 heap blocks: 6 ms of PostgreSQL a search, the slowest single words 20 ms. A word's
// rank does not depend on the other videos, so it is kept here, ordered, for each word of each
// listed video's title or creator's name, and a page of a one-word search is one index range.
//
// * video_search_term(lexeme): the lexeme as a one-word tsquery, cast, not parsed again (a
//   lexeme like 'real-tim' would be parsed as a phrase). Equal to websearch_to_tsquery's query of
//   one word, so the search finds its rows by the query itself.
// * video_search_ranks: (term, score, video_id) for each lexeme of a listed video's `head`, where
//   score is ts_rank(document, term): the same number the title tier computes for that query;
//   and head_score, ts_rank(head, term), which close matches add up (a misspelling's words like
//   it, ranked against titles and names). The video-search projection rewrites a video's rows
//   when its row changes.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `CREATE FUNCTION video_search_term(lexeme text) RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
     RETURN ('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery`,
  );
  await knex.raw(
    `CREATE TABLE video_search_ranks (
       term tsquery NOT NULL,
       score real NOT NULL,
       video_id uuid NOT NULL,
       head_score real NOT NULL,
       PRIMARY KEY (term, score, video_id) INCLUDE (head_score)
     )`,
  );
  // A video's own rows, for rewriting them when its row changes.
  await knex.raw('CREATE INDEX video_search_ranks_video ON video_search_ranks (video_id)');
  await knex.raw(
    `INSERT INTO video_search_ranks (term, score, video_id, head_score)
     SELECT t.term, ts_rank(s.document, t.term), s.video_id, ts_rank(s.head, t.term)
     FROM video_search s, unnest(tsvector_to_array(s.head)) l(lexeme), video_search_term(l.lexeme) t(term)
     WHERE s.listed`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS video_search_ranks');
  await knex.raw('DROP FUNCTION IF EXISTS video_search_term(text)');
}
