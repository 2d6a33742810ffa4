import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { Knex } from 'knex';
import { counted } from '../../plural.ts';
import { cachedRead } from '../../web/cached-read.ts';
import { BadRequestError } from '../../web/errors.ts';
import type { CardVideo } from '../videos/card-video.ts';
import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import { decodeCursor, decodeRankingCursor, encodeCursor, encodeRankingCursor } from './cursor.ts';
import { mostWatchedPage, type RankedVideo, type RankingPage } from './popular.ts';
import { createHomeQueries, type CatalogPage } from './queries.ts';
import { posterPath } from '../../web/poster-path.ts';

const HOME_VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const PAGE_SIZE = 12;
/** The home page's "Most watched this week": one row of cards on a wide screen, two on most. */
const HOME_POPULAR_SIZE = 8;
// Often enough that a sample shows up soon after it is published, rarely enough to be no load.
const PREPARING_REFRESH_SECONDS = 5;

interface HomeAppDeps {
  readonly db: Knex;
  /** The longest the page's reads may lag their projections when no aggregator in this process says they moved. */
  readonly cacheMs: number;
  /** Asked when the catalog is empty: are demo videos on their way? Unset: demo content is off. */
  readonly demoPreparing?: (() => Promise<boolean>) | undefined;
  /** The clock "this week" is counted back from (tests move it). */
  readonly now?: () => Date;
  /** A logged-in viewer's unfinished videos, for its section (src/app/playback). */
  readonly continueWatching?: (userId: string) => Promise<readonly unknown[]>;
}

/** What a video card shows (templates/video-card.pug), with the count line the list chooses. */
function card(video: CardVideo, views: string) {
  return {
    href: `/videos/${video.videoId}`,
    posterUrl: posterPath(`/videos/${video.videoId}`, video.posterUri ?? ''),
    name: video.name ?? UNTITLED,
    creator: video.creator,
    creatorHandle: video.creatorHandle,
    duration: durationLabel(video.durationSeconds),
    views,
  };
}

const weekLabel = (video: RankedVideo) => `${counted(video.weekViews, 'view')} this week`;

function newestView(page: CatalogPage) {
  return {
    videos: page.videos.map((video) => card(video, viewsLabel(video.views))),
    nextHref: page.next ? `/newest?after=${encodeCursor(page.next)}` : undefined,
  };
}

function popularView(page: RankingPage) {
  return {
    videos: page.videos.map((video) => card(video, weekLabel(video))),
    nextHref: page.next ? `/popular?after=${encodeRankingCursor(page.next)}` : undefined,
  };
}

/**
 * The home page (the count of videos watched, then its sections: Most watched this week and
 * Newest, in the order templates/home.pug includes them), and each section's own paged page:
 * /popular and /newest. Each section is one query, its first page held in a cached read.
 */
export function createHomeApp({ db, cacheMs, demoPreparing, now = () => new Date(), continueWatching }: HomeAppDeps) {
  const queries = createHomeQueries(db);
  const homePage = cachedRead(() => queries.loadHomePage(), cacheMs);
  // The first pages are what almost every visitor sees; later pages are read as asked.
  const firstPage = cachedRead(() => queries.catalogPage(PAGE_SIZE), cacheMs);
  const topOfTheWeek = cachedRead(() => mostWatchedPage(db, HOME_POPULAR_SIZE, { now: now() }), cacheMs);

  const router = Router();
  router.get('/', async (req, res) => {
    // The home page paged the newest videos before they had a page of their own: old links still work.
    if (req.query.after !== undefined) {
      const query = req.originalUrl.slice(req.originalUrl.indexOf('?'));
      res.redirect(301, `/newest${query}`);
      return;
    }
    const [count, newest] = await Promise.all([homePage.get(), firstPage.get()]);
    // After the other two, not beside them: a request holds at most two of the pool's connections
    // at once, as before the sections (each read takes about a millisecond, and most are cached).
    const popular = await topOfTheWeek.get();
    const { userId } = req.context;
    const continuing = userId && continueWatching ? await continueWatching(userId) : [];
    // A newcomer who opens the site while the demo videos convert sees that they are coming, and
    // the page refreshes by itself until they are listed (or the demo has given up).
    const preparing = newest.videos.length === 0 && demoPreparing !== undefined && (await demoPreparing());
    res.render('home', {
      title: 'Home',
      ...count,
      newest: newestView(newest),
      popular: popularView(popular),
      preparing,
      // The demo runs on a developer's machine only: there, and nowhere else, the empty page names the commands.
      developerHints: demoPreparing !== undefined,
      refreshSeconds: PREPARING_REFRESH_SECONDS,
      continueWatching: continuing,
    });
  });

  router.get('/newest', async (req, res) => {
    const after = req.query.after === undefined ? undefined : decodeCursor(req.query.after);
    if (req.query.after !== undefined && !after)
      throw new BadRequestError('That page link is broken. Start again from the newest videos at /newest.');
    const page = after ? await queries.catalogPage(PAGE_SIZE, after) : await firstPage.get();
    res.render('newest', { title: after ? 'Older videos' : 'Newest videos', ...newestView(page), firstPage: !after });
  });

  router.get('/popular', async (req, res) => {
    const after = req.query.after === undefined ? undefined : decodeRankingCursor(req.query.after);
    if (req.query.after !== undefined && !after) {
      throw new BadRequestError(
        "That page link is broken. Start again from the top of this week's most watched at /popular.",
      );
    }
    const page = await mostWatchedPage(db, PAGE_SIZE, { now: now(), after });
    res.render('popular', { title: 'Most watched this week', ...popularView(page), firstPage: !after });
  });

  return {
    router,
    viewsDir: HOME_VIEWS_DIR,
    /** The viewings count moved (the home-page aggregator). */
    projectionMoved: () => homePage.invalidate(),
    /** The catalog moved (the videos aggregator: a publish, a name, a view; a new display name): both sections show it. */
    catalogMoved: () => {
      firstPage.invalidate();
      topOfTheWeek.invalidate();
    },
    /** The week's counts moved (the popular-videos aggregator). */
    rankingMoved: () => topOfTheWeek.invalidate(),
  };
}
