import { randomUUID } from 'node:crypto';
import express from 'express';
import { createAdminApp } from '../../src/app/admin/index.ts';
import type { AdminDeps, AdminSection } from '../../src/app/admin/section.ts';
import { usePugViews } from '../../src/web/create-app.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { silentLogger } from '../helpers/databases.ts';
import type { createTestSystem } from '../helpers/test-system.ts';

type System = Awaited<ReturnType<typeof createTestSystem>>;

/**
 * The admin portal with only the sections given, on the test system's databases, for tests of
 * sections sections.ts does not list yet: `x-test-user` says who asks, and only `adminId` has
 * the role. No session or CSRF middleware: those are the site's, tested with it.
 */
export function adminPortal(
  system: System,
  adminId: string,
  sections: ReadonlyArray<(deps: AdminDeps) => AdminSection>,
): express.Express {
  const admin = createAdminApp({
    db: system.db,
    messageStore: system.messageStore,
    messageStorePool: system.messageStorePool,
    logger: silentLogger,
    subscriberStatus: () => system.status(),
    subscriptions: system.subscriptions,
    rolesOf: async (userId) => (userId === adminId ? ['admin'] : []),
    sections,
  });
  const app = express();
  // As the site sets them up (the basedir, and the plural helper templates count with).
  usePugViews(app, admin.viewsDirs);
  app.use(express.urlencoded({ extended: false }));
  app.use((req, res, next) => {
    req.context = { traceId: randomUUID(), userId: req.get('x-test-user') || null };
    res.locals.currentPath = req.originalUrl;
    next();
  });
  app.use('/admin', admin.router);
  app.use(errorHandler({ logger: silentLogger }));
  return app;
}
