import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import type { Knex } from 'knex';
import { cachedRead } from '../../web/cached-read.ts';
import { createHomeQueries } from './queries.ts';

const HOME_VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** Until the catalog exists, the home page offers one fixed video to watch. */
const SAMPLE_VIDEO_ID = 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';

interface HomeAppDeps {
  readonly db: Knex;
  /** The longest the page's count may lag its projection when no aggregator in this process says it moved. */
  readonly cacheMs: number;
}

export function createHomeApp({ db, cacheMs }: HomeAppDeps) {
  const queries = createHomeQueries(db);
  const homePage = cachedRead(() => queries.loadHomePage(), cacheMs);
  const router = Router();
  router.get('/', async (_req, res) => {
    const page = await homePage.get();
    res.render('home', { title: 'Home', ...page, sampleVideoId: SAMPLE_VIDEO_ID });
  });
  return { router, viewsDir: HOME_VIEWS_DIR, projectionMoved: () => homePage.invalidate() };
}
