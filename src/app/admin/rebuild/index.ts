import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { pickProjections, readProgress, rebuildableProjections } from '../../../rebuild/index.ts';
import { NotFoundError } from '../../../web/errors.ts';
import type { AdminDeps, AdminSection } from '../section.ts';
import { createRebuildJobs, type RebuildJobs } from './jobs.ts';
import { projectionView } from './views.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** How often a page refreshes itself while a rebuild runs (meta refresh: the CSP allows no inline script). */
const REFRESH_SECONDS = 2;

/**
 * Rebuild a projection from the log, as `npm run projections:rebuild` does: the list of
 * rebuildable projections with each one's last run, a button per projection (and one for all),
 * and a page per projection that follows its run by refreshing itself.
 */
export const rebuildSection = (deps: AdminDeps): AdminSection & { readonly jobs: RebuildJobs } => {
  const projections = rebuildableProjections(deps);
  const jobs = createRebuildJobs(deps);
  const router = Router();

  async function views(names?: readonly string[]) {
    // Only names from the registry reach the progress table: a name from the address is checked first.
    const known = projections.filter((projection) => !names || names.includes(projection.name));
    if (known.length === 0) return [];
    const progress = await readProgress(deps.db, names && known.map((projection) => projection.name));
    const now = new Date();
    return known.map((projection) =>
      projectionView(
        projection,
        progress.find((row) => row.projection === projection.name),
        now,
      ),
    );
  }

  router.get('/', async (_req, res) => {
    const list = await views();
    const refresh = jobs.busy() || list.some((view) => view.run?.running);
    res.render('admin-rebuild', {
      title: 'Rebuild',
      projections: list,
      refresh: refresh ? REFRESH_SECONDS : undefined,
    });
  });

  router.get('/:name', async (req, res) => {
    const [view] = await views([req.params.name]);
    if (!view) throw new NotFoundError('There is no rebuildable projection by that name.');
    res.render('admin-rebuild-progress', {
      title: `Rebuild ${view.name}`,
      projection: view,
      refresh: view.run?.running ? REFRESH_SECONDS : undefined,
    });
  });

  router.post('/:name', async (req, res) => {
    const picked = pickProjections(projections, req.params.name);
    if (!picked) throw new NotFoundError('There is no rebuildable projection by that name.');
    const adminId = req.context.userId!;
    const started = await jobs.start(picked, {
      adminId,
      userId: adminId,
      label: `admin:${adminId}`,
      traceId: req.context.traceId,
    });
    if (!started && req.session) req.session.flash = 'A rebuild of it is already running; here is its progress.';
    res.redirect(303, req.params.name === 'all' ? '/admin/rebuild' : `/admin/rebuild/${req.params.name}`);
  });

  return { path: 'rebuild', title: 'Rebuild', router, viewsDir: VIEWS_DIR, jobs };
};
