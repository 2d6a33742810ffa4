import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { requireAdmin } from '../../web/access.ts';
import { noStore } from '../../web/request-context.ts';
import { refuseControlCharacters } from './control-characters.ts';
import type { AdminDeps, AdminSectionFactory } from './section.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');

interface AdminAppDeps extends AdminDeps {
  readonly rolesOf: (userId: string) => Promise<readonly string[]>;
  readonly sections: readonly AdminSectionFactory[];
}

/**
 * Everything under /admin, for the admin role only: a visitor is sent to log in, a user without
 * the role gets 403, before any section's route runs.
 */
export function createAdminApp({ rolesOf, sections: factories, ...deps }: AdminAppDeps) {
  const sections = factories.map((factory) => factory(deps));
  const nav = sections
    .filter((section) => section.title !== undefined)
    .map((section) => ({ href: `/admin${section.path ? `/${section.path}` : ''}`, title: section.title! }));
  const router = Router();
  // Before the access check, so even its redirect and 403 are never kept by a cache.
  router.use(noStore());
  router.use(requireAdmin(rolesOf));
  router.use(refuseControlCharacters());
  router.use((_req, res, next) => {
    res.locals.adminNav = nav;
    next();
  });
  for (const section of sections) router.use(section.path ? `/${section.path}` : '/', section.router);
  return {
    router,
    viewsDirs: [VIEWS_DIR, ...sections.flatMap((section) => (section.viewsDir ? [section.viewsDir] : []))],
  };
}
