import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Limit } from '../../config/defaults.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { BadRequestError, ServiceUnavailableError, TooManyRequestsError } from '../../web/errors.ts';
import { posterPath } from '../../web/poster-path.ts';
import { keyedCachedRead } from '../../web/cached-read.ts';
import { clientKey } from '../../web/rate-limits.ts';
import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import { decodeSearchCursor, encodeSearchCursor } from './cursor.ts';
import { createSearchQueries, type SearchPage } from './queries.ts';

const SEARCH_VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const PAGE_SIZE = 12;
/** The longest search anyone types is a sentence; past this it is a paste or a script. */
const MAX_QUERY_CHARACTERS = 200;
/** Each of a search's statements may take this long before PostgreSQL cuts it off (its pool's statement_timeout). */
export const SEARCH_TIMEOUT_MS = 2_000;
/** Connections of the search's own pool: searches beyond wait their turn in the app, not in PostgreSQL. */
export const SEARCH_POOL_MAX = 4;
/** Searches per client address, per process (in memory: a search writes nothing, and costs no write to count). */
export const SEARCH_LIMIT: Limit = { points: 60, windowSeconds: 60 };
/** How many searches' pages are kept at most (each about 12 results). */
const CACHED_PAGES = 500;

interface SearchAppDeps {
  /**
   * The search's own pool, opened with its statement timeout (SEARCH_TIMEOUT_MS unless set): a
   * search that takes too long is cut off and the page says so, rather than holding a connection
   * for the app pool's 30 s.
   */
  readonly db: Knex;
  /**
   * How long a search's page may be reused (the page cache's bound, PAGE_CACHE_MS): many people
   * asking for the same words at once cost one query. Results are public videos only, the same
   * for everyone.
   */
  readonly cacheMs: number;
  readonly limit?: Limit;
}

/** What the box held, trimmed, or why it cannot be searched for. */
type Query =
  | { readonly kind: 'empty' }
  | { readonly kind: 'nothing to match'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string };

// Tabs and line breaks (a paste) are spaces; any other control character, NUL included, is refused.
const BREAKS = /[\t\n\r]+/g;
const CONTROL = /[\p{Cc}\p{Cs}]/u;
// Format characters are part of ordinary writing (the joiner in 👩‍💻, Persian's non-joiner, a soft
// hyphen, a direction mark pasted with a word): taken out, never refused. Nor do they reach the
// page, where a direction override would turn the text around the query.
const FORMAT = /\p{Cf}/gu;

function queryOf(value: unknown): Query {
  if (value === undefined) return { kind: 'empty' };
  if (typeof value !== 'string')
    throw new BadRequestError('Search for one thing at a time: type it in the search box above.');
  const text = value.replace(BREAKS, ' ').replace(FORMAT, '').trim();
  if ([...text].length > MAX_QUERY_CHARACTERS) {
    throw new BadRequestError(
      `That search is too long. Search for at most ${MAX_QUERY_CHARACTERS} characters: a few words work best.`,
    );
  }
  if (CONTROL.test(text))
    throw new BadRequestError(
      'That search has characters we cannot look for. Type it again with letters, numbers and spaces.',
    );
  if (text === '') return { kind: 'empty' };
  if (!/[\p{L}\p{N}]/u.test(text)) return { kind: 'nothing to match', text };
  return { kind: 'text', text };
}

function resultsView(query: string, page: SearchPage) {
  return {
    hits: page.hits.map((hit) => ({
      href: `/videos/${hit.videoId}`,
      posterUrl: posterPath(`/videos/${hit.videoId}`, hit.posterUri ?? ''),
      title: hit.title ?? [{ text: UNTITLED, mark: false }],
      snippet: hit.snippet,
      creator: hit.creator,
      creatorHandle: hit.creatorHandle,
      duration: durationLabel(hit.durationSeconds),
      views: viewsLabel(hit.views),
    })),
    onlyClose: page.hits.length > 0 && page.hits.every((hit) => hit.close),
    nextHref: page.next
      ? `/search?${new URLSearchParams({ q: query, after: encodeSearchCursor(page.next) }).toString()}`
      : undefined,
  };
}

function isLimiterAnswer(value: unknown): value is RateLimiterRes {
  return typeof value === 'object' && value !== null && 'msBeforeNext' in value && !(value instanceof Error);
}

const isStatementTimeout = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '57014';

/** /search: public videos by their words, their creators' names, or something that looks like them. */
export function createSearchApp({ db, cacheMs, limit = SEARCH_LIMIT }: SearchAppDeps) {
  const queries = createSearchQueries(db);
  const pages = keyedCachedRead<SearchPage>(cacheMs, CACHED_PAGES);
  const limiter = new RateLimiterMemory({ keyPrefix: 'search', points: limit.points, duration: limit.windowSeconds });

  async function takeSearch(req: Request): Promise<void> {
    try {
      await limiter.consume(clientKey(req.ip ?? 'unknown'), 1);
    } catch (rejection) {
      if (!isLimiterAnswer(rejection)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new TooManyRequestsError(
        `You have searched a lot in a short time. Try again in ${durationInWords(seconds)}.`,
        seconds,
      );
    }
  }

  const router = Router();
  router.get('/', async (req, res) => {
    const query = queryOf(req.query.q);
    const after = req.query.after === undefined ? undefined : decodeSearchCursor(req.query.after);
    if (req.query.after !== undefined && !after)
      throw new BadRequestError('That page link is broken. Search again from the box above.');
    if (query.kind === 'empty') {
      res.render('search', { title: 'Search', query: '', asked: false });
      return;
    }
    if (query.kind === 'nothing to match') {
      res.render('search', {
        title: `Search: ${query.text}`,
        query: query.text,
        searchQuery: query.text,
        asked: true,
        hits: [],
        firstPage: true,
      });
      return;
    }
    await takeSearch(req);
    let page: SearchPage;
    try {
      // The cursor as sent: a page link is the same text every time it is followed.
      const key = `${query.text}\u0000${typeof req.query.after === 'string' ? req.query.after : ''}`;
      page = await pages.get(key, () => queries.search(query.text, PAGE_SIZE, after));
    } catch (error) {
      if (isStatementTimeout(error))
        throw new ServiceUnavailableError('That search took too long. Try fewer or more particular words.', 5);
      throw error;
    }
    res.render('search', {
      title: `Search: ${query.text}`,
      query: query.text,
      searchQuery: query.text,
      asked: true,
      firstPage: !after,
      ...resultsView(query.text, page),
    });
  });
  return { router, viewsDir: SEARCH_VIEWS_DIR };
}
