import type { Knex } from 'knex';

// Issue 19, a misspelled search: the words a misspelling is compared with. Comparing it with every
// listed video's title by trigrams (word_similarity against video_search.trigram_text) read
// thousands of titles sharing a trigram or two: 135–172 ms at p50 on 100,000 videos. Titles and
// creators' names hold a few thousand distinct words; a misspelled word is matched against those
// (a trigram index on a small table), and the words found are searched for as words.
//
// * video_search_words_of(text): the distinct words of a folded text (video_search_fold's), as
//   the `simple` parser splits them (no stemming, no stop words), of 3 to 100 characters: shorter
//   ones have too few trigrams to compare, longer ones are links and pastes. The projection and
//   the search both split text with it, so a word is the same thing on each side.
// * video_search_words: each such word of a listed video's title or creator's name, with how many
//   listed videos hold it. The video-search projection keeps the counts and deletes a word none
//   holds any more, so an erased creator's name does not outlive its videos' rows.

async function trigramSchema(knex: Knex): Promise<string> {
  const schema = (
    await knex.raw<{ rows: Array<{ nspname: string }> }>(
      `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'`,
    )
  ).rows[0]?.nspname;
  if (!schema) throw new Error('the pg_trgm extension is not installed');
  return schema;
}

export async function up(knex: Knex): Promise<void> {
  const trgm = await trigramSchema(knex);
  await knex.raw(
    `CREATE FUNCTION video_search_words_of(folded text) RETURNS SETOF text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
     AS $$ SELECT w FROM unnest(tsvector_to_array(to_tsvector('pg_catalog.simple'::regconfig, folded))) w
           WHERE char_length(w) BETWEEN 3 AND 100 $$`,
  );
  await knex.schema.createTable('video_search_words', (table) => {
    table.text('word').primary();
    table.integer('videos').notNullable();
  });
  await knex.raw(`CREATE INDEX video_search_words_trigrams ON video_search_words USING gin (word ??.gin_trgm_ops)`, [
    trgm,
  ]);
  // Nothing compares a query with whole titles by trigrams any more: the index only cost writes.
  await knex.raw('DROP INDEX IF EXISTS video_search_trigrams');
  // The videos already searchable, counted as the projection counts them.
  await knex.raw(
    `INSERT INTO video_search_words (word, videos)
     SELECT w.word, count(*) FROM video_search s, video_search_words_of(s.trigram_text) w(word)
     WHERE s.listed GROUP BY w.word`,
  );
}

export async function down(knex: Knex): Promise<void> {
  const trgm = await trigramSchema(knex);
  await knex.raw(
    'CREATE INDEX IF NOT EXISTS video_search_trigrams ON video_search USING gin (trigram_text ??.gin_trgm_ops) WHERE listed',
    [trgm],
  );
  await knex.schema.dropTableIfExists('video_search_words');
  await knex.raw('DROP FUNCTION IF EXISTS video_search_words_of(text)');
}
