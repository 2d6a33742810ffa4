import type { Knex } from 'knex';

/** Whose rows a write may change: some videos, or every video of some creators. */
export type SearchRows = { readonly videoIds: readonly string[] } | { readonly ownerIds: readonly string[] };

/** How many of the chosen listed rows hold each word of their title or creator's name. */
async function wordCounts(trx: Knex.Transaction, rows: SearchRows): Promise<Map<string, number>> {
  const [column, ids] = 'videoIds' in rows ? ['video_id', rows.videoIds] : ['owner_id', rows.ownerIds];
  if (ids.length === 0) return new Map();
  const result = await trx.raw<{ rows: Array<{ word: string; videos: number }> }>(
    `SELECT w.word, count(*)::int AS videos
     FROM video_search s, video_search_words_of(s.trigram_text) w(word)
     WHERE s.listed AND s.?? = ANY(?::uuid[])
     GROUP BY w.word`,
    [column, ids.map((id) => id.toLowerCase())],
  );
  return new Map(result.rows.map((row) => [row.word, row.videos]));
}

/**
 * Runs `write`, which may change the rows named, and moves video_search_words' counts by what it
 * changed: a word gained or lost by a title, a creator's name, a video listed or no longer listed.
 * A word no listed video holds any more is deleted. The caller holds the creators' locks
 * (lockCreators), so no other part changes these rows between the two counts. Words are written
 * in order, so two transactions moving the same words take their row locks in the same order.
 */
export async function keepingWordsCounted(
  trx: Knex.Transaction,
  rows: SearchRows,
  write: () => Promise<void>,
): Promise<void> {
  const before = await wordCounts(trx, rows);
  await write();
  const after = await wordCounts(trx, rows);
  const changes = new Map<string, number>();
  for (const [word, videos] of after) changes.set(word, videos - (before.get(word) ?? 0));
  for (const [word, videos] of before) if (!after.has(word)) changes.set(word, -videos);
  const moved = [...changes].filter(([, change]) => change !== 0);
  if (moved.length === 0) return;
  await trx.raw(
    `INSERT INTO video_search_words AS w (word, videos)
     SELECT m.word, m.change FROM jsonb_to_recordset(?::jsonb) m(word text, change int) ORDER BY m.word
     ON CONFLICT (word) DO UPDATE SET videos = w.videos + excluded.videos`,
    [JSON.stringify(moved.map(([word, change]) => ({ word, change })))],
  );
  const lost = moved.filter(([, change]) => change < 0).map(([word]) => word);
  if (lost.length > 0) await trx.raw('DELETE FROM video_search_words WHERE word = ANY(?) AND videos <= 0', [lost]);
}

/**
 * Brings video_title_words in line with the chosen videos' rows in video_search: each listed
 * video's title words with its published_at, nothing for one not listed. Only rows that differ
 * are deleted or inserted, so a batch that leaves a title alone writes nothing for it.
 */
export async function rewriteTitleWords(trx: Knex.Transaction, videoIds: readonly string[]): Promise<void> {
  if (videoIds.length === 0) return;
  const ids = videoIds.map((id) => id.toLowerCase());
  await trx.raw(
    `WITH wanted AS (
       SELECT w.word, s.published_at, s.video_id
       FROM video_search s, video_search_words_of(video_search_fold(s.title)) w(word)
       WHERE s.listed AND s.title IS NOT NULL AND s.video_id = ANY(?::uuid[])
     ),
     gone AS (
       DELETE FROM video_title_words t
       WHERE t.video_id = ANY(?::uuid[])
         AND NOT EXISTS (SELECT 1 FROM wanted WHERE (wanted.word, wanted.published_at, wanted.video_id) = (t.word, t.published_at, t.video_id))
     )
     INSERT INTO video_title_words (word, published_at, video_id)
     SELECT word, published_at, video_id FROM wanted ORDER BY word
     ON CONFLICT DO NOTHING`,
    [ids, ids],
  );
}
