import type { Knex } from 'knex';

// Issue 19, up next on a big catalog: the words of each listed video's title, one row a word,
// ordered by word and date. Similar videos used to OR a title's rarest lexemes against the `head`
// and `document` GIN indexes; on 100,000 videos whose titles draw on a few hundred words even the
// rarest is in 1–4 % of titles, and PostgreSQL built bitmaps of 13,000 titles and 21,000
// documents to read 500 of each: 97 ms at p50 for a watch page no cache had seen. Here a word's
// newest videos are one index range, read for a bounded few rows, so no bitmap is built.
//
// Words are video_search_words_of(video_search_fold(title)): the same words, split the same way,
// as video_search_words counts (which says how rare each is). Listed videos only; the video-search
// projection writes the rows with the video's.

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('video_title_words', (table) => {
    table.text('word').notNullable();
    table.timestamp('published_at', { useTz: true }).notNullable();
    table.uuid('video_id').notNullable();
    table.primary(['word', 'published_at', 'video_id']);
    // A video's own rows, for rewriting them when its title or listing changes.
    table.index(['video_id'], 'video_title_words_video');
  });
  await knex.raw(
    `INSERT INTO video_title_words (word, published_at, video_id)
     SELECT w.word, s.published_at, s.video_id
     FROM video_search s, video_search_words_of(video_search_fold(s.title)) w(word)
     WHERE s.listed AND s.title IS NOT NULL`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('video_title_words');
}
