import type { Knex } from 'knex';
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
  readonly bindings: readonly string[];
}

const afterSql = (after: SearchPosition | undefined, tier: number): SqlFragment =>
  after && after.tier === tier
    ? { sql: 'AND (score, video_id) < (?::real, ?::uuid)', bindings: [after.score, after.videoId] }
    : { sql: '', bindings: [] };

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
async function likeWords(trx: Knex.Transaction, wanted: string): Promise<string[][]> {
  const result = await trx.raw<{ rows: Array<{ term: string; word: string | null }> }>(
    `SELECT t.term, c.word
     FROM (
       SELECT DISTINCT term FROM video_search_words_of(video_search_fold(?)) term
       WHERE numnode(plainto_tsquery('video_search', term)) > 0
       LIMIT ?
     ) t
     LEFT JOIN LATERAL (
       SELECT w.word FROM video_search_words w
       WHERE (w.word % t.term OR t.term <% w.word) AND numnode(plainto_tsquery('video_search', w.word)) > 0
       ORDER BY greatest(similarity(w.word, t.term), word_similarity(t.term, w.word)) DESC, w.word
       LIMIT ?
     ) c ON true`,
    [wanted, LIKENESS_MAX_TERMS, LIKE_WORDS],
  );
  const byTerm = new Map<string, string[]>();
  for (const { term, word } of result.rows) {
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

interface SearchQueries {
  search(query: string, pageSize: number, after?: SearchPosition): Promise<SearchPage>;
}

export function createSearchQueries(db: Knex, { timeoutMs }: { readonly timeoutMs: number }): SearchQueries {
  /**
   * Full-text matches of one tier, best rank first (a title match outranks a creator's name,
   * which outranks a description). Tier IN_TITLE finds its rows by the small `head` index; each
   * tier ranks only its own rows, so the first pages of a common word never rank every
   * description that has it.
   */
  async function byWords(
    trx: Knex.Transaction,
    query: string,
    tier: number,
    limit: number,
    after: SearchPosition | undefined,
  ): Promise<RankedRow[]> {
    const page = afterSql(after, tier);
    const found = tier === IN_TITLE ? 's.head @@ q AND s.document @@ q' : 's.document @@ q AND NOT (s.head @@ q)';
    // querytree() is 'T' when the query asks for no word, only leaves some out ("-java", "a -java"):
    // no index can find that, and it would match, and rank, nearly every video.
    const result = await trx.raw<{ rows: RankedRow[] }>(
      `SELECT video_id, ${tier} AS tier, score::text AS score FROM (
         SELECT s.video_id, ts_rank(s.document, q) AS score
         FROM video_search s, websearch_to_tsquery('video_search', ?) q
         WHERE querytree(q) <> 'T' AND s.listed AND ${found}
       ) ranked
       WHERE true ${page.sql}
       ORDER BY ranked.score DESC, ranked.video_id DESC
       LIMIT ?`,
      [query, ...page.bindings, limit],
    );
    return result.rows;
  }

  /**
   * Titles and creators' names holding, for each word asked for, a word like it (likeWords), and
   * neither the query's own words nor any word it leaves out. Ranked by how much of the title and
   * name those words are. Undefined when some word asked for is like no word of any title.
   */
  async function byLikeness(
    trx: Knex.Transaction,
    query: string,
    limit: number,
    after: SearchPosition | undefined,
  ): Promise<{ rows: RankedRow[]; close: CloseQuery } | undefined> {
    const { wanted, unwanted } = likenessTerms(query);
    if ((wanted.match(/[\p{L}\p{N}]/gu)?.length ?? 0) < LIKENESS_MIN_LETTERS) return undefined;
    const close = closeQuery(await likeWords(trx, wanted));
    if (!close) return undefined;
    const page = afterSql(after, LIKENESS);
    const result = await trx.raw<{ rows: RankedRow[] }>(
      `SELECT video_id, ${LIKENESS} AS tier, score::text AS score FROM (
         SELECT s.video_id, ts_rank(s.head, c.close_q) AS score
         FROM video_search s, (SELECT ${close.sql} AS close_q) c, websearch_to_tsquery('video_search', ?) q, websearch_to_tsquery('video_search', ?) left_out
         WHERE s.listed AND s.head @@ c.close_q AND NOT (s.document @@ q) AND NOT (s.document @@ left_out)
       ) ranked
       WHERE true ${page.sql}
       ORDER BY ranked.score DESC, ranked.video_id DESC
       LIMIT ?`,
      [...close.bindings, query, unwanted, ...page.bindings, limit],
    );
    return { rows: result.rows, close };
  }

  /**
   * What a page shows of its rows: highlighted title and snippet (the words asked for, and those
   * like them on a page with close matches), and the catalog's poster, duration, views and creator.
   */
  async function shown(
    trx: Knex.Transaction,
    query: string,
    rows: readonly RankedRow[],
    close: CloseQuery | undefined,
  ): Promise<PageRow[]> {
    if (rows.length === 0) return [];
    const result = await trx.raw<{ rows: PageRow[] }>(
      `SELECT page.video_id, page.tier, page.score,
              CASE WHEN s.title IS NULL THEN NULL ELSE ts_headline('video_search', ${STRIP_MARKERS.replace('?', 's.title')}, marked.q, ?) END AS title,
              ts_headline('video_search', ${STRIP_MARKERS.replace('?', 's.description')}, marked.q, ?) AS snippet,
              v.duration_seconds, v.views, v.poster_uri, ${CREATOR_LABEL_SQL}
       FROM jsonb_to_recordset(?::jsonb) AS page(video_id uuid, tier int, score text)
       JOIN video_search s ON s.video_id = page.video_id
       LEFT JOIN videos v ON v.video_id = page.video_id
       LEFT JOIN user_profiles p ON p.user_id = v.owner_id
       CROSS JOIN (SELECT websearch_to_tsquery('video_search', ?)${close ? ` || (${close.sql})` : ''} AS q) marked`,
      [
        START + STOP,
        TITLE_OPTIONS,
        START + STOP,
        SNIPPET_OPTIONS,
        JSON.stringify(rows),
        query,
        ...(close?.bindings ?? []),
      ],
    );
    const byId = new Map(result.rows.map((row) => [row.video_id, row]));
    return rows.flatMap((row) => byId.get(row.video_id) ?? []);
  }

  return {
    async search(query, pageSize, after) {
      // Its own transaction, for a statement timeout of its own: a search that takes too long is
      // cut off (57014) and the page says so, rather than holding a connection for the pool's 30 s.
      const rows = await db.transaction(async (trx) => {
        await trx.raw(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
        // Each tier from the top (or from the cursor, in its own tier) until the page is full;
        // close matches come once the word matches run out: a typo or part of a word still finds something.
        const ranked: RankedRow[] = [];
        let close: CloseQuery | undefined;
        for (const tier of [IN_TITLE, IN_TEXT, LIKENESS]) {
          if (ranked.length > pageSize || (after && tier > after.tier)) continue;
          const limit = pageSize + 1 - ranked.length;
          if (tier !== LIKENESS) {
            ranked.push(...(await byWords(trx, query, tier, limit, after)));
            continue;
          }
          const alike = await byLikeness(trx, query, limit, after);
          close = alike?.close;
          ranked.push(...(alike?.rows ?? []));
        }
        return { page: await shown(trx, query, ranked.slice(0, pageSize), close), more: ranked.length > pageSize };
      });
      const hits = rows.page.map((row): SearchHit => ({
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
      return { hits, next: rows.more ? hits.at(-1)?.position : undefined };
    },
  };
}
