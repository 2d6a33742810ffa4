import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { Knex } from 'knex';
import { cachedRead } from '../../web/cached-read.ts';
import { BadRequestError } from '../../web/errors.ts';
import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { createHomeQueries, type CatalogPage } from './queries.ts';
import { posterPath } from '../../web/poster-path.ts';

const HOME_VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const PAGE_SIZE = 12;
// Often enough that a sample shows up soon after it is published, rarely enough to be no load.
const PREPARING_REFRESH_SECONDS = 5;

interface HomeAppDeps {
  readonly db: Knex;
  /** The longest the page's reads may lag their projections when no aggregator in this process says they moved. */
  readonly cacheMs: number;
  /** Asked when the catalog is empty: are demo videos on their way? Unset: demo content is off. */
  readonly demoPreparing?: (() => Promise<boolean>) | undefined;
  /** A logged-in viewer's unfinished videos, for its section (src/app/playback). */
  readonly continueWatching?: (userId: string) => Promise<readonly unknown[]>;
}

function catalogView(page: CatalogPage) {
  return {
    videos: page.videos.map((video) => ({
      href: `/videos/${video.videoId}`,
      posterUrl: posterPath(`/videos/${video.videoId}`, video.posterUri ?? ''),
      name: video.name ?? UNTITLED,
      creator: video.creator,
      creatorHandle: video.creatorHandle,
      duration: durationLabel(video.durationSeconds),
      views: viewsLabel(video.views),
    })),
    nextHref: page.next ? `/?after=${encodeCursor(page.next)}` : undefined,
  };
}

/** The home page: the catalog of published videos, newest first, and how many viewings there have been. */
export function createHomeApp({ db, cacheMs, demoPreparing, continueWatching }: HomeAppDeps) {
  const queries = createHomeQueries(db);
  const homePage = cachedRead(() => queries.loadHomePage(), cacheMs);
  // The first page is what almost every visitor sees; later pages are read as asked.
  const firstPage = cachedRead(() => queries.catalogPage(PAGE_SIZE), cacheMs);

  const router = Router();
  router.get('/', async (req, res) => {
    const after = req.query.after === undefined ? undefined : decodeCursor(req.query.after);
    if (req.query.after !== undefined && !after) throw new BadRequestError('That page link is broken. Start again from the first page of videos.');
    const { userId } = req.context;
    const [count, page, continuing] = await Promise.all([
      homePage.get(),
      after ? queries.catalogPage(PAGE_SIZE, after) : firstPage.get(),
      userId && !after && continueWatching ? continueWatching(userId) : [],
    ]);
    // A newcomer who opens the site while the demo videos convert sees that they are coming, and
    // the page refreshes by itself until they are listed (or the demo has given up).
    const preparing = !after && page.videos.length === 0 && demoPreparing !== undefined && (await demoPreparing());
    res.render('home', {
      title: 'Home',
      ...count,
      ...catalogView(page),
      firstPage: !after,
      preparing,
      // The demo runs on a developer's machine only: there, and nowhere else, the empty page names the commands.
      developerHints: demoPreparing !== undefined,
      refreshSeconds: PREPARING_REFRESH_SECONDS,
      continueWatching: continuing,
    });
  });
  return {
    router,
    viewsDir: HOME_VIEWS_DIR,
    /** The viewings count moved (the home-page aggregator). */
    projectionMoved: () => homePage.invalidate(),
    /** The catalog moved (the videos aggregator: a publish, a name, a view). */
    catalogMoved: () => firstPage.invalidate(),
  };
}
