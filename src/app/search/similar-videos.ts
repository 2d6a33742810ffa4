import type { Knex } from 'knex';
import { preparedRaw } from '../../db/prepared-statement.ts';
import { cardVideo, type CardRow, type CardVideo } from '../videos/card-video.ts';
import { CREATOR_LABEL_SQL } from '../videos/creator-label.ts';

/** A video like another by its title's words, public only. */
interface SimilarVideo extends CardVideo {
  readonly views: number;
}

type SimilarRow = CardRow & { views: string | null };

const similarVideo = (row: SimilarRow): SimilarVideo => ({ ...cardVideo(row), views: Number(row.views ?? 0) });

/**
 * The cards of the videos `ranked` (a CTE with video_id) names, those the catalog also has as
 * published and public: the search read model and the catalog apply a change moments apart, and
 * up next offers nothing either has hidden.
 */
const listedCardsOf = (ranked: string): string =>
  `SELECT ${ranked}.video_id, v.name, v.duration_seconds, v.views, v.poster_uri, ${CREATOR_LABEL_SQL}
     FROM ${ranked}
     JOIN videos v ON v.video_id = ${ranked}.video_id AND v.status = 'published' AND v.visibility = 'public'
     LEFT JOIN user_profiles p ON p.user_id = v.owner_id`;

/** How many of a title's words are looked for: the rarest that some other listed title holds (not stop words). */
const TITLE_WORDS = 3;
/** How many of the newest listed videos holding each of those words are read and ranked. */
const TITLE_WINDOW = 200;

// Its limits are in the text, not bound: with them bound, PostgreSQL's plan for any values
// looked costlier than one for the values given, so it planned the statement afresh at every
// watch page (0.7 ms). The callers' limits are a few constants, so the texts are a few.
const byTitleWordsSql = (limit: number, window: number) => `WITH source AS (
       SELECT s.video_id, s.title, CASE WHEN s.listed THEN 1 ELSE 0 END AS counted
       FROM video_search s WHERE s.video_id = ?::uuid
     ),
     -- The title's own words first (a few), so the check below runs for those, not for every
     -- word of the dictionary, which is how PostgreSQL would otherwise order the join.
     title_words AS MATERIALIZED (
       SELECT d.word, d.videos - source.counted AS others
       FROM source, video_search_words_of(video_search_fold(source.title)) t(word)
       JOIN video_search_words d ON d.word = t.word
       WHERE d.videos > source.counted AND length(to_tsvector('video_search', t.word)) > 0
     ),
     -- A word's count is of titles and creators' names: one some other video holds only in its
     -- creator's name is passed over here, where the title table has none of it.
     picked AS (
       SELECT w.word, w.others
       FROM source, title_words w
       WHERE EXISTS (SELECT 1 FROM video_title_words o WHERE o.word = w.word AND o.video_id <> source.video_id)
       ORDER BY w.others, w.word
       LIMIT ${TITLE_WORDS}
     ),
     found AS (
       SELECT c.video_id, c.published_at, count(*) AS shared, min(picked.others) AS rarest
       FROM source, picked CROSS JOIN LATERAL (
         SELECT t.video_id, t.published_at FROM video_title_words t
         WHERE t.word = picked.word AND t.video_id <> source.video_id
         ORDER BY t.published_at DESC, t.video_id DESC
         LIMIT ${window}
       ) c
       GROUP BY c.video_id, c.published_at
       ORDER BY shared DESC, rarest, c.published_at DESC, c.video_id DESC
       -- Twice the list: the catalog may not have some as public yet (below), and a list left
       -- short sends the caller to the full text.
       LIMIT ${2 * limit}
     )
     ${listedCardsOf('found')}
     ORDER BY found.shared DESC, found.rarest, found.published_at DESC, found.video_id DESC
     LIMIT ${limit}`;

/**
 * Listed videos whose titles hold the rarest of `videoId`'s title words (video_title_words),
 * those holding more of them first, then the one holding the rarer word, then the newest. Rarity
 * is video_search_words' count of listed videos holding the word in a title or creator's name,
 * less the video itself; stop words are passed over. Each word's newest `window` videos are one backward range of the
 * table's primary key (word, published_at, video_id): no bitmap, whatever the catalog's size.
 */
async function byTitleWords(db: Knex, videoId: string, limit: number, window: number): Promise<SimilarRow[]> {
  // They go into the statement's text: whole numbers from this code only, never a visitor's.
  if (![limit, window].every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new RangeError(`up next's limits must be whole numbers, not ${limit} and ${window}`);
  return preparedRaw<SimilarRow>(db, byTitleWordsSql(limit, window), [videoId]);
}

/**
 * How many of a title's lexemes the full-text read looks for: the rarest ones, by PostgreSQL's
 * own count of how many documents hold each (pg_stats' most common elements of
 * `video_search.document`, kept by ANALYZE).
 */
const TEXT_TERMS = 4;
/**
 * At most this many videos holding all of those words, this many holding any of them in the title
 * or creator's name, and this many holding any of them anywhere, are ranked: the bound holds when
 * every word is common, or the table was never analysed.
 */
const TEXT_CANDIDATES = 500;

const BY_TEXT_SQL = `WITH source AS (
       SELECT s.video_id, to_tsvector('video_search', coalesce(s.title, '')) AS words FROM video_search s WHERE s.video_id = ?::uuid
     ),
     -- The video itself and those already found.
     excluded AS (SELECT array_append(?::uuid[], source.video_id) AS ids FROM source),
     common AS (
       SELECT e.word, e.share
       FROM pg_stats st, unnest(st.most_common_elems::text::text[], st.most_common_elem_freqs) e(word, share)
       WHERE st.schemaname = current_schema() AND st.tablename = 'video_search' AND st.attname = 'document' AND e.word IS NOT NULL
     ),
     -- Each word is already a lexeme of the document: cast, not parsed again. to_tsquery would
     -- read 'real-tim' (of "real-time") as the phrase 'real-tim' <-> 'real' <-> 'tim', which no
     -- document holds, and a hyphenated word is often the rarest and longest of a title.
     picked AS (
       SELECT string_agg(t.lexeme, ' | ')::tsquery AS any_word,
              string_agg(t.lexeme, ' & ')::tsquery AS every_word
       FROM (
         SELECT '''' || replace(replace(t.term, '\\', '\\\\'), '''', '''''') || '''' AS lexeme
         FROM source CROSS JOIN unnest(tsvector_to_array(source.words)) t(term)
         LEFT JOIN common c ON c.word = t.term
         ORDER BY coalesce(c.share, 0), length(t.term) DESC, t.term
         LIMIT ?
       ) t
     ),
     candidates AS (
       (SELECT s.video_id, s.document, s.published_at FROM excluded, picked, video_search s
        WHERE picked.every_word IS NOT NULL AND s.listed AND s.document @@ picked.every_word
          AND s.video_id <> ALL(excluded.ids)
        LIMIT ?)
       UNION
       -- Titles (and creators' names) first: they outrank any description, and a bounded read of
       -- the documents could fill up with descriptions (the small head index finds these).
       (SELECT s.video_id, s.document, s.published_at FROM excluded, picked, video_search s
        WHERE picked.any_word IS NOT NULL AND s.listed AND s.head @@ picked.any_word
          AND s.video_id <> ALL(excluded.ids)
        LIMIT ?)
       UNION
       (SELECT s.video_id, s.document, s.published_at FROM excluded, picked, video_search s
        WHERE picked.any_word IS NOT NULL AND s.listed AND s.document @@ picked.any_word
          AND s.video_id <> ALL(excluded.ids)
        LIMIT ?)
     ),
     alike AS (
       SELECT c.video_id, ts_rank(c.document, picked.any_word) AS score, c.published_at
       FROM candidates c, picked
       ORDER BY score DESC, c.published_at DESC, c.video_id DESC
       LIMIT ?
     )
     ${listedCardsOf('alike')}
     ORDER BY alike.score DESC, alike.published_at DESC, alike.video_id DESC`;

/**
 * Listed videos sharing lexemes with `videoId`'s title anywhere (title, creator's name,
 * description), by the full-text indexes, most alike first (its words in their titles rank above
 * names and descriptions), none of `leftOut`. What byTitleWords finds comes first; this fills a
 * list titles alone leave short. On a big catalog it costs GIN bitmaps of every document holding
 * a word, so it runs only then (docs/search.md). Words no statistics name count as rare, and among
 * them longer first.
 */
async function byText(
  db: Knex,
  videoId: string,
  limit: number,
  leftOut: readonly string[],
  candidates: number,
): Promise<SimilarRow[]> {
  return preparedRaw<SimilarRow>(db, BY_TEXT_SQL, [
    videoId,
    [...leftOut],
    TEXT_TERMS,
    candidates,
    candidates,
    candidates,
    limit,
  ]);
}

/**
 * Public videos like `videoId` by its title's words, at most `limit`, never the video itself. Any
 * video may be asked about (an unlisted one's page too); nothing but listed videos is returned,
 * and only those the catalog (`videos`) also has as published and public. For the watch page's
 * "up next": first by title words, then, if those run short, by the full text.
 */
export async function similarVideos(
  db: Knex,
  videoId: string,
  limit: number,
  { window = TITLE_WINDOW, candidates = TEXT_CANDIDATES }: { window?: number; candidates?: number } = {},
): Promise<SimilarVideo[]> {
  const byTitle = await byTitleWords(db, videoId, limit, window);
  if (byTitle.length >= limit) return byTitle.map(similarVideo);
  const found = byTitle.map((row) => row.video_id);
  const more = await byText(db, videoId, limit - byTitle.length, found, candidates);
  return [...byTitle, ...more].map(similarVideo);
}
