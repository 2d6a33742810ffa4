import type { Knex } from 'knex';
import { preparedRaw } from '../../db/prepared-statement.ts';
import { CREATOR_LABEL_SQL } from '../videos/creator-label.ts';
import type { SearchPosition } from './cursor.ts';

/**
 * Reads of the video-search projection (video_search): the /search page's ranked, keyset-paged
 * results (similar-videos.ts has up next's). Only listed videos (published, public, neither taken
 * down nor deleted) are ever read. docs/search.md explains the
 * ranking, the indexes and the highlighting.
 */

/** What a highlighted text is made of: ts_headline's matches are `mark`ed; Pug escapes every part. */
interface TextPart {
  readonly text: string;
  readonly mark: boolean;
}

interface SearchHit {
  readonly videoId: string;
  readonly title: readonly TextPart[] | null;
  readonly snippet: readonly TextPart[];
  readonly creator: string | null;
  readonly creatorHandle: string | null;
  readonly durationSeconds: number | null;
  readonly views: number;
  readonly posterUri: string | null;
  /** Found by spelling likeness only (a typo, part of a word), not by its words. */
  readonly close: boolean;
  readonly position: SearchPosition;
}

export interface SearchPage {
  readonly hits: readonly SearchHit[];
  readonly next: SearchPosition | undefined;
}

// ts_headline's selection markers: two private-use characters, taken out of the stored text
// first, so whatever a creator typed (`<script>`, `<b>`) is only ever text between them.
const START = '\uE000';
const STOP = '\uE001';
const STRIP_MARKERS = `translate(?, ?, '')`;
const TITLE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, HighlightAll=true`;
const SNIPPET_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=35, MinWords=15`;

/** Splits ts_headline's output at its markers into text and matched parts; markers never reach the page. */
export function textParts(headline: string): TextPart[] {
  const parts: TextPart[] = [];
  let mark = false;
  let text = '';
  for (const char of headline) {
    if (char === START || char === STOP) {
      if (text) parts.push({ text, mark });
      text = '';
      mark = char === START;
    } else text += char;
  }
  if (text) parts.push({ text, mark });
  return parts;
}

/**
 * What the close matches compare: the words a query asks for, without its quotes and "or"s, and
 * the words it leaves out (`-word`, `-"a phrase"`), which websearch_to_tsquery reads the same way.
 */
export function likenessTerms(query: string): { wanted: string; unwanted: string } {
  const unwanted: string[] = [];
  const wanted = query.replace(/(^|\s)-("[^"]*"?|\S+)/g, (_match, space: string, term: string) => {
    unwanted.push(term.replaceAll('"', ' ').trim());
    return space;
  });
  return {
    wanted: wanted
      .replaceAll('"', ' ')
      .replace(/(^|\s)or(?=\s|$)/gi, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    unwanted: unwanted
      .filter((term) => term !== '')
      .map((term) => `"${term}"`)
      .join(' or '),
  };
}

/** A listed video's id, rank tier and score, ranked; the rows of one page. */
interface RankedRow {
  video_id: string;
  tier: number;
  score: string;
}

interface PageRow extends RankedRow {
  title: string | null;
  snippet: string;
  creator: string | null;
  creator_handle: string | null;
  duration_seconds: number | null;
  views: string | null;
  poster_uri: string | null;
}

/** Tier 3: the query's words, in the title or creator's name; 2: only elsewhere (the description); 1: spelling likeness only. Higher first. */
const IN_TITLE = 3;
const IN_TEXT = 2;
const LIKENESS = 1;

/** The fuzzy tier needs something to compare: fewer letters than this match almost anything. */
const LIKENESS_MIN_LETTERS = 3;

/** A piece of SQL and the values of its `?`s, in order. */
interface SqlFragment {
  readonly sql: string;
  readonly bindings: readonly (string | number | string[])[];
}

const afterSql = (after: SearchPosition | undefined, tier: number): SqlFragment =>
  after && after.tier === tier
    ? { sql: 'AND (score, video_id) < (?::real, ?::uuid)', bindings: [after.score, after.videoId] }
    : { sql: '', bindings: [] };

/**
 * The video whose id `column` holds is listed still: the tiers that read video_search_ranks check
 * each video they keep, so a rank row left behind (by a worker running code from before the
 * ranks, say) never shows a hidden video. A primary key lookup for each row kept.
 */
const stillListed = (column: string) =>
  `EXISTS (SELECT 1 FROM video_search s WHERE s.video_id = ${column} AND s.listed)`;

/** No rows, in the columns of a tier's. */
const NO_ROWS = 'SELECT NULL::uuid AS video_id, NULL::int AS tier, NULL::real AS score WHERE false';

/** The words a close match holds instead of those asked for, as a tsquery expression. */
type CloseQuery = SqlFragment;

/** How many words like each word asked for a close match may hold instead of it. */
const LIKE_WORDS = 5;
/** How many of the words asked for are compared: past this, a search is a pasted sentence. */
const LIKENESS_MAX_TERMS = 8;

/**
 * For each word asked for, split and folded as the titles' words are (video_search_words_of), the
 * words of titles and creators' names most like it by spelling (pg_trgm: alike as a whole, `%`,
 * or as the start or part of a longer word, `<%`), the word itself first when some title has it.
 * Stop words ("the", "for") are passed over on both sides, as the word matches pass over them: a
 * close match need not hold a word like "the", and "the" is like nothing asked for. Ties go by the
 * word itself, not by how many videos hold it, so a page's next page looks for the same words.
 * They come from video_search_words, a few thousand words on a catalog of 100,000 videos, by its
 * trigram index: comparing the query with every title read thousands of them (docs/search.md).
 * An empty list for a word like nothing.
 */
const ASKED_TERMS_SQL = `SELECT DISTINCT term FROM video_search_words_of(video_search_fold(?)) term
       WHERE numnode(plainto_tsquery('video_search', term)) > 0
       LIMIT ${LIKENESS_MAX_TERMS}`;
/** The words most like `t.term`, with how alike (`likeness`), the likest first. */
const LIKE_TERM_SQL = `SELECT w.word, greatest(similarity(w.word, t.term), word_similarity(t.term, w.word)) AS likeness
       FROM video_search_words w
       WHERE (w.word % t.term OR t.term <% w.word) AND numnode(plainto_tsquery('video_search', w.word)) > 0
       ORDER BY likeness DESC, w.word
       LIMIT ${LIKE_WORDS}`;
const LIKE_WORDS_SQL = `SELECT t.term, c.word FROM (${ASKED_TERMS_SQL}) t LEFT JOIN LATERAL (${LIKE_TERM_SQL}) c ON true`;

/**
 * A `like_words (word, ord)` CTE's body: the words like the one word asked for (`?`), in
 * likeWords' order, found by the page's own statement (a round trip fewer than likeWords). A run
 * of letters and digits is one word of video_search_words_of; were it ever split in two, it would
 * find no close match rather than a wrong one.
 */
const LIKE_WORDS_OF_ONE_SQL = `SELECT c.word, row_number() OVER (ORDER BY c.likeness DESC, c.word) AS ord
       FROM (SELECT term, count(*) OVER () AS terms FROM (${ASKED_TERMS_SQL}) a) t
       CROSS JOIN LATERAL (${LIKE_TERM_SQL}) c
       WHERE t.terms = 1`;
/** The same CTE's body from a list likeWords found (`?`: the words, in order). */
const LISTED_LIKE_WORDS_SQL = 'SELECT word, ord FROM unnest(?::text[]) WITH ORDINALITY l(word, ord)';
/**
 * What the page's statement may take for one word: letters and decimal digits only. Modifier
 * letters (ʼ) and other numbers (², ①) are left out: the word splitter cuts words at them.
 */
const ONE_WORD = /^[\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{Nd}]+$/u;

async function likeWords(db: Knex, wanted: string): Promise<string[][]> {
  const rows = await preparedRaw<{ term: string; word: string | null }>(db, LIKE_WORDS_SQL, [wanted]);
  const byTerm = new Map<string, string[]>();
  for (const { term, word } of rows) {
    const words = byTerm.get(term) ?? [];
    if (word !== null) words.push(word);
    byTerm.set(term, words);
  }
  return [...byTerm.values()];
}

/**
 * Every word asked for, or one like it: each word (stemmed by the search configuration, as the
 * documents are) as its own query, ORed per word asked for and ANDed across them. Undefined when
 * no word was asked for, or one is like nothing: no close match could hold it.
 */
function closeQuery(likeEach: readonly (readonly string[])[]): CloseQuery | undefined {
  if (likeEach.length === 0 || likeEach.some((words) => words.length === 0)) return undefined;
  return {
    sql: likeEach
      .map((words) => `(${words.map(() => "plainto_tsquery('video_search', ?)").join(' || ')})`)
      .join(' && '),
    bindings: likeEach.flat(),
  };
}

/**
 * What a page's close matches are like: for one word asked for, the body of its like words' CTE
 * (the close query is their `or`, video_search_or, made in SQL); for several, the close query
 * closeQuery made of likeWords' lists.
 */
type Likeness =
  | { readonly kind: 'one word'; readonly likeWords: SqlFragment }
  | { readonly kind: 'several words'; readonly close: CloseQuery };

/** The close query of one word asked for: its like words ORed, NULL when there are none. */
const ONE_WORD_CLOSE: CloseQuery = { sql: '(SELECT q FROM close_query)', bindings: [] };

/**
 * The likeness a page of close matches needs, found by likeWords first unless one word is asked
 * for. Undefined when no close match could hold the words asked for.
 */
async function likenessOf(db: Knex, wanted: string, oneWordAnswered = false): Promise<Likeness | undefined> {
  if (!oneWordAnswered && ONE_WORD.test(wanted))
    return { kind: 'one word', likeWords: { sql: LIKE_WORDS_OF_ONE_SQL, bindings: [wanted] } };
  const likeEach = await likeWords(db, wanted);
  // The one-word statement answered for one word or none; only a word it found cut in two is asked again.
  if (oneWordAnswered && likeEach.length <= 1) return undefined;
  const [words, ...more] = likeEach;
  if (words && words.length > 0 && more.length === 0)
    return { kind: 'one word', likeWords: { sql: LISTED_LIKE_WORDS_SQL, bindings: [words] } };
  const close = closeQuery(likeEach);
  return close && { kind: 'several words', close };
}

interface SearchQueries {
  search(query: string, pageSize: number, after?: SearchPosition): Promise<SearchPage>;
}

/**
 * Full-text matches of one tier, best rank first, from the query in the `words` CTE (a title
 * match outranks a creator's name, which outranks a description). Tier IN_TITLE reads a one-word
 * query's rows ranked already (video_search_ranks) and finds a longer query's by the small `head`
 * index; each tier ranks only its own rows, so the first pages of a common word
 * never rank every description that has it. `gate`, when given, is a condition on other CTEs that
 * PostgreSQL checks once, before it reads anything: a tier that is not needed costs nothing.
 */
function byWordsSql(tier: number, limit: number, after: SearchPosition | undefined, gate = 'true'): SqlFragment {
  const page = afterSql(after, tier);
  const found = tier === IN_TITLE ? 's.head @@ w.q AND s.document @@ w.q' : 's.document @@ w.q AND NOT (s.head @@ w.q)';
  // A one-word query's title matches are kept ranked (video_search_ranks): one index range.
  const ranked = tier === IN_TITLE ? 'numnode(w.q) > 1' : 'true';
  const sql = `SELECT video_id, ${tier} AS tier, score FROM (
                 SELECT s.video_id, ts_rank(s.document, w.q) AS score
                 FROM video_search s, words w
                 WHERE ${gate} AND ${ranked} AND s.listed AND ${found}
               ) ranked
               WHERE true ${page.sql}
               ORDER BY ranked.score DESC, ranked.video_id DESC
               LIMIT ${limit}`;
  if (tier !== IN_TITLE) return { sql, bindings: page.bindings };
  return {
    sql: `SELECT r.video_id, ${tier} AS tier, r.score
          FROM words w CROSS JOIN LATERAL (
            SELECT video_id, score FROM video_search_ranks r
            WHERE term = w.q ${page.sql} AND ${stillListed('r.video_id')}
            ORDER BY score DESC, video_id DESC
            LIMIT ${limit}
          ) r
          WHERE numnode(w.q) = 1
          UNION ALL (${sql})`,
    bindings: [...page.bindings, ...page.bindings],
  };
}

/**
 * The close matches of a page, best first, after the `asked` CTE (the query, and the words it
 * leaves out): titles and creators' names holding, for each word asked for, a word like it, and
 * neither the query's own words nor any word it leaves out, ranked by ts_rank of the head against
 * the close query: `rows`, after the CTEs of `ctes`.
 *
 * One word asked for, each word like it one lexeme (nearly always): ts_rank of an `or` is the mean
 * of each lexeme's own rank (to within a unit in the last place: PostgreSQL adds in single
 * precision, this in double, the same on every page), and each listed head's lexemes are kept
 * with their rank (video_search_ranks.head_score), so the ranking reads those rows, thousands of
 * index entries, not thousands of vectors from the heap. The videos it must leave out (holding
 * the query's words or the words left out) are found by the GIN index: a few on the page where
 * close matches start, every match of a common word on the pages after it, as the heads' ranking
 * also read them. Otherwise (two words asked for: ts_rank of an `and` weighs their distance; or a like word
 * that is a phrase), the heads are ranked.
 */
function closeRowsSql(
  likeness: Likeness,
  /** How many rows at most: a number, or an SQL expression of the statement's other CTEs. */
  limit: number | string,
  after: SearchPosition | undefined,
): { readonly ctes: SqlFragment; readonly rows: SqlFragment; readonly close: CloseQuery } {
  const page = afterSql(after, LIKENESS);
  const close = likeness.kind === 'one word' ? ONE_WORD_CLOSE : likeness.close;
  const byHeads = (gate: string): SqlFragment => ({
    sql: `(SELECT video_id, ${LIKENESS} AS tier, score FROM (
             SELECT s.video_id, ts_rank(s.head, c.close_q) AS score
             FROM video_search s, (SELECT ${close.sql} AS close_q) c, asked a
             WHERE ${gate} AND s.listed AND s.head @@ c.close_q AND NOT (s.document @@ a.q) AND NOT (s.document @@ a.left_out)
           ) ranked
           WHERE true ${page.sql}
           ORDER BY ranked.score DESC, ranked.video_id DESC
           LIMIT ${limit})`,
    bindings: [...close.bindings, ...page.bindings],
  });
  if (likeness.kind === 'several words') return { ctes: { sql: '', bindings: [] }, rows: byHeads('true'), close };
  const heads = byHeads('NOT (SELECT lexemes FROM close_terms_simple)');
  return {
    close,
    ctes: {
      sql: `like_words AS MATERIALIZED (${likeness.likeWords.sql}),
           close_query AS MATERIALIZED (
             SELECT video_search_or(plainto_tsquery('video_search', word) ORDER BY ord) AS q FROM like_words
           ),
           close_terms AS MATERIALIZED (
             SELECT DISTINCT plainto_tsquery('video_search', word) AS term FROM like_words
           ),
           close_terms_simple AS (
             SELECT lexemes, lexemes AND terms = 1 AS one FROM (
               SELECT coalesce(bool_and(numnode(term) = 1), false) AS lexemes, count(*) AS terms FROM close_terms
             ) c
           ),
           left_out_videos AS MATERIALIZED (
             SELECT s.video_id FROM video_search s, asked a
             WHERE s.listed AND (s.document @@ a.q OR s.document @@ a.left_out)
           ),`,
      bindings: likeness.likeWords.bindings,
    },
    rows: {
      // One lexeme (most misspellings: one word like it): its rows in head_score order, read
      // from the index for as long as the page needs (video_search_ranks_head_score), each
      // checked on its own row: listed still, holding neither the query's words nor a word left
      // out. (Checked against left_out_videos instead, PostgreSQL read that CTE again for each
      // rank row, 4.3 s for a word whose rows were nearly all left out: docs/benchmarks.md.)
      sql: `(SELECT r.video_id, ${LIKENESS} AS tier, r.score FROM close_terms t CROSS JOIN LATERAL (
           SELECT video_id, score FROM (
             SELECT r.video_id, r.head_score AS score FROM video_search_ranks r WHERE r.term = t.term
           ) ranked
           WHERE EXISTS (
             SELECT 1 FROM video_search s, asked a
             WHERE s.video_id = ranked.video_id AND s.listed AND NOT (s.document @@ (a.q || a.left_out))
           ) ${page.sql}
           ORDER BY score DESC, video_id DESC
           LIMIT ${limit}
         ) r
         WHERE (SELECT one FROM close_terms_simple))
         UNION ALL
         (SELECT video_id, ${LIKENESS} AS tier, score FROM (
           SELECT video_id, score FROM (
             SELECT r.video_id, (sum(r.head_score::float8) / (SELECT count(*) FROM close_terms))::real AS score
             FROM close_terms t JOIN video_search_ranks r ON r.term = t.term
             WHERE (SELECT lexemes AND NOT one FROM close_terms_simple)
             GROUP BY r.video_id
           ) ranked
           WHERE NOT EXISTS (SELECT 1 FROM left_out_videos o WHERE o.video_id = ranked.video_id) ${page.sql}
           ORDER BY ranked.score DESC, ranked.video_id DESC
           OFFSET 0
         ) best
         -- Looked up for the best rows only, in order.
         WHERE ${stillListed('best.video_id')}
         ORDER BY best.score DESC, best.video_id DESC
         LIMIT ${limit})
          UNION ALL ${heads.sql}`,
      bindings: [...page.bindings, ...page.bindings, ...heads.bindings],
    },
  };
}

/**
 * The end of a statement that ranks a page: the rows of the `page` CTE in order, one more than a
 * page when there are more, each of the first `pageSize` with what the page shows of it:
 * highlighted title and snippet (the words asked for, and `close`'s words on a page with close
 * matches), and the catalog's poster, duration, views and creator.
 */
function shownSql(query: string, pageSize: number, close: CloseQuery | undefined): SqlFragment {
  const shows = (sql: string) => `CASE WHEN page.rn > ${pageSize} THEN NULL ELSE ${sql} END`;
  return {
    sql: `SELECT page.video_id, page.tier, page.score::text AS score,
                 ${shows(`CASE WHEN s.title IS NULL THEN NULL ELSE ts_headline('video_search', ${STRIP_MARKERS.replace('?', 's.title')}, marked.q, ?) END`)} AS title,
                 ${shows(`ts_headline('video_search', ${STRIP_MARKERS.replace('?', 's.description')}, marked.q, ?)`)} AS snippet,
                 v.duration_seconds, v.views, v.poster_uri, ${CREATOR_LABEL_SQL}
          FROM (
            SELECT ranked.*, row_number() OVER (ORDER BY tier DESC, score DESC, video_id DESC) AS rn
            FROM page ranked ORDER BY rn LIMIT ${pageSize + 1}
          ) page
          JOIN video_search s ON s.video_id = page.video_id
          LEFT JOIN videos v ON v.video_id = page.video_id
          LEFT JOIN user_profiles p ON p.user_id = v.owner_id
          CROSS JOIN (SELECT ${close ? `coalesce(w || (${close.sql}), w)` : 'w'} AS q FROM websearch_to_tsquery('video_search', ?) w) marked
          ORDER BY page.rn`,
    // A close query is NULL when one word asked for is like none: the page then marks the query's words alone.
    bindings: [START + STOP, TITLE_OPTIONS, START + STOP, SNIPPET_OPTIONS, ...(close?.bindings ?? []), query],
  };
}

/**
 * `db` is the search's own pool, whose statement_timeout is the search's: each statement is cut
 * off on its own (57014), so a search needs no transaction, and a page of word matches is one
 * round trip (docs/search.md).
 */
export function createSearchQueries(db: Knex): SearchQueries {
  /**
   * The word tiers from the top, or from the cursor in its own tier (tiers above the cursor's are
   * done), the description tier only when the title tier leaves the page short: the CTEs `words`,
   * `in_title` and `name`, the tiers' rows. querytree() is 'T' when the query asks for no word,
   * only leaves some out ("-java", "a -java"): no index can find that, and it would match, and
   * rank, nearly every video.
   */
  function wordTiersSql(query: string, pageSize: number, after: SearchPosition | undefined, name: string): SqlFragment {
    const inTitle =
      after && after.tier < IN_TITLE ? { sql: NO_ROWS, bindings: [] } : byWordsSql(IN_TITLE, pageSize + 1, after);
    const inText = byWordsSql(IN_TEXT, pageSize + 1, after, `(SELECT count(*) FROM in_title) <= ${pageSize}`);
    return {
      sql: `words AS MATERIALIZED (SELECT q FROM websearch_to_tsquery('video_search', ?) q WHERE querytree(q) <> 'T'),
            in_title AS (${inTitle.sql}),
            ${name} AS (SELECT * FROM in_title UNION ALL (${inText.sql}))`,
      bindings: [query, ...inTitle.bindings, ...inText.bindings],
    };
  }

  /** A page of word matches. One text for each tier a cursor may be in: prepared (db/prepared-statement.ts). */
  async function byWords(query: string, pageSize: number, after: SearchPosition | undefined): Promise<PageRow[]> {
    const tiers = wordTiersSql(query, pageSize, after, 'page');
    const shown = shownSql(query, pageSize, undefined);
    return preparedRaw<PageRow>(db, `WITH ${tiers.sql} ${shown.sql}`, [...tiers.bindings, ...shown.bindings]);
  }

  /**
   * The page again with close matches after `earlier` (the word matches, fewer than a page):
   * titles and creators' names holding, for each word asked for, a word like it (likeWords), and
   * neither the query's own words nor any word it leaves out, ranked by how much of the title and
   * name those words are. Undefined when the query has too few letters to compare, or some word
   * asked for is like no word of any title.
   */
  async function withLikeness(
    query: string,
    pageSize: number,
    earlier: readonly PageRow[],
    after: SearchPosition | undefined,
    oneWordAnswered = false,
  ): Promise<PageRow[] | undefined> {
    const { wanted, unwanted } = likenessTerms(query);
    if ((wanted.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < LIKENESS_MIN_LETTERS) return undefined;
    const likeness = await likenessOf(db, wanted, oneWordAnswered);
    if (!likeness) return undefined;
    const { ctes, rows, close } = closeRowsSql(likeness, pageSize + 1 - earlier.length, after);
    const shown = shownSql(query, pageSize, close);
    const sql = `WITH asked AS MATERIALIZED (
         SELECT websearch_to_tsquery('video_search', ?) AS q, websearch_to_tsquery('video_search', ?) AS left_out
       ),
       ${ctes.sql}
       page AS (
         SELECT video_id, tier, score::real AS score FROM jsonb_to_recordset(?::jsonb) AS e(video_id uuid, tier int, score text)
         UNION ALL ${rows.sql}
       )
       ${shown.sql}`;
    const bindings = [
      query,
      unwanted,
      ...ctes.bindings,
      JSON.stringify(earlier.map(({ video_id, tier, score }) => ({ video_id, tier, score }))),
      ...rows.bindings,
      ...shown.bindings,
    ];
    // A misspelling's page (one word asked for, no word matches, its like words found here or
    // listed, a cursor or none) has one of four texts: prepared. Other shapes vary with the words: sent as they are.
    const found =
      likeness.kind === 'one word' && earlier.length === 0
        ? await preparedRaw<PageRow>(db, sql, bindings)
        : (await db.raw<{ rows: PageRow[] }>(sql, bindings)).rows;
    return !oneWordAnswered && ONE_WORD.test(wanted)
      ? askedApartIfNoneClose(query, pageSize, earlier, after, found)
      : found;
  }

  /**
   * A page the one-word statement made (`found`, after `earlier`), or, when it holds no close
   * match, the page with the like words found apart: the word splitter may have cut the "word"
   * in two (a letter newer than the server's tables, one unaccent spells with an apostrophe),
   * which that statement cannot look for. One statement more, only then.
   */
  async function askedApartIfNoneClose(
    query: string,
    pageSize: number,
    earlier: readonly PageRow[],
    after: SearchPosition | undefined,
    found: PageRow[],
  ): Promise<PageRow[]> {
    if (found.length > pageSize || found.some((row) => row.tier === LIKENESS)) return found;
    return (await withLikeness(query, pageSize, earlier, after, true)) ?? found;
  }

  /**
   * The first page of a search of one word (a run of letters and digits, three or more: a
   * misspelling, most often, or a part of a word): its word matches and, when those leave the
   * page short, its close matches, in one statement. The rows and the page are those of byWords,
   * then withLikeness: the close matches' part finds nothing, and no like word, when the word
   * matches fill the page. One text: prepared.
   */
  async function oneWordPage(query: string, pageSize: number): Promise<PageRow[]> {
    const tiers = wordTiersSql(query, pageSize, undefined, 'word_page');
    const short = `(SELECT count(*) FROM word_page) <= ${pageSize}`;
    const { ctes, rows, close } = closeRowsSql(
      { kind: 'one word', likeWords: { sql: `${LIKE_WORDS_OF_ONE_SQL} AND ${short}`, bindings: [query] } },
      `greatest(0, ${pageSize + 1} - (SELECT count(*) FROM word_page))`,
      undefined,
    );
    const shown = shownSql(query, pageSize, close);
    const sql = `WITH ${tiers.sql},
       asked AS MATERIALIZED (
         SELECT websearch_to_tsquery('video_search', ?) AS q, websearch_to_tsquery('video_search', '') AS left_out
       ),
       ${ctes.sql}
       page AS (SELECT * FROM word_page UNION ALL ${rows.sql})
       ${shown.sql}`;
    return preparedRaw<PageRow>(db, sql, [
      ...tiers.bindings,
      query,
      ...ctes.bindings,
      ...rows.bindings,
      ...shown.bindings,
    ]);
  }

  /** Whether a first page is one word's, found by oneWordPage in one statement. */
  const isOneWord = (query: string) => ONE_WORD.test(query) && [...query].length >= LIKENESS_MIN_LETTERS;

  /** The rows of a page: one more than the page when there are more. */
  async function pageRows(query: string, pageSize: number, after: SearchPosition | undefined): Promise<PageRow[]> {
    // Without a close match, its rows are all word matches: the earlier rows of the page asked apart.
    if (after === undefined && isOneWord(query)) {
      const rows = await oneWordPage(query, pageSize);
      return askedApartIfNoneClose(query, pageSize, rows, undefined, rows);
    }
    // Close matches come once the word matches run out: a typo or part of a word still finds something.
    const words = after?.tier === LIKENESS ? [] : await byWords(query, pageSize, after);
    if (words.length > pageSize) return words;
    return (await withLikeness(query, pageSize, words, after)) ?? words;
  }

  return {
    async search(query, pageSize, after) {
      const rows = await pageRows(query, pageSize, after);
      const hits = rows.slice(0, pageSize).map((row): SearchHit => ({
        videoId: row.video_id,
        title: row.title === null ? null : textParts(row.title),
        snippet: textParts(row.snippet),
        creator: row.creator || null,
        creatorHandle: row.creator_handle,
        durationSeconds: row.duration_seconds,
        views: Number(row.views ?? 0),
        posterUri: row.poster_uri,
        close: row.tier === LIKENESS,
        position: { tier: row.tier, score: row.score, videoId: row.video_id },
      }));
      return { hits, next: rows.length > pageSize ? hits.at(-1)?.position : undefined };
    },
  };
}
