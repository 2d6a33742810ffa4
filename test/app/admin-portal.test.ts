import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import {
  ADMIN_ACTIONS_CATEGORY,
  adminActionSchemas,
  adminActionsStreamName,
  type AdminAction,
} from '../../src/contracts/admin-actions.ts';
import { createAdminApp } from '../../src/app/admin/index.ts';
import type { AdminSection } from '../../src/app/admin/section.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('admin portal: every section is behind the admin role — visitors to log in, users 403, admins through', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const section = (path: string, title?: string): AdminSection => {
    const router = Router();
    router.get('/', (_req, res) => void res.send(`section ${path}`));
    router.post('/act', (_req, res) => void res.send(`acted in ${path}`));
    return { path, router, ...(title ? { title } : {}) };
  };
  const roles = new Map<string, string[]>([
    ['admin-1', ['admin']],
    ['user-1', []],
  ]);
  const admin = createAdminApp({
    db: system.db,
    messageStore: system.messageStore,
    messageStorePool: system.messageStorePool,
    logger: silentLogger,
    subscriberStatus: () => system.status(),
    subscriptions: system.subscriptions,
    rolesOf: async (userId) => roles.get(userId) ?? [],
    sections: [() => section('', 'Dashboard'), () => section('messages', 'Messages'), () => section('hidden')],
  });
  const app = express();
  app.set('views', [COMMON_VIEWS_DIR]);
  app.set('view engine', 'pug');
  app.locals.basedir = COMMON_VIEWS_DIR;
  app.use((req, res, next) => {
    req.context = { traceId: 'trace', userId: req.get('x-test-user') ?? null };
    next();
  });
  app.use('/admin', admin.router);
  app.use(errorHandler({ logger: silentLogger }));

  for (const [method, url] of [
    ['get', '/admin'],
    ['get', '/admin/messages'],
    ['get', '/admin/hidden'],
    ['post', '/admin/messages/act'],
  ] as const) {
    const visitor = await request(app)[method](url);
    t.equal(visitor.status, 303, `${method} ${url}: a visitor is sent to log in`);
    t.equal(
      (await request(app)[method](url).set('x-test-user', 'user-1')).status,
      403,
      `${method} ${url}: a user without the role → 403`,
    );
    const allowed = await request(app)[method](url).set('x-test-user', 'admin-1');
    t.equal(allowed.status, 200, `${method} ${url}: an admin gets through`);
  }
  const seen = await request(app).get('/admin/messages').set('x-test-user', 'admin-1');
  t.equal(seen.text, 'section messages', 'each section answers under its own path');
});

test('admin actions: each kind is a typed event in the admin’s own stream', (t) => {
  const adminId = randomUUID();
  const action: AdminAction = {
    id: randomUUID(),
    type: 'ParkedMessageDiscarded',
    data: { adminId, subscriberId: 'components:send-email', messageId: randomUUID(), reason: 'a test address' },
    metadata: { userId: adminId, traceId: randomUUID() },
  };
  t.ok(adminActionSchemas[action.type].safeParse(action.data).success, 'the data fits its schema');
  t.notOk(
    adminActionSchemas.ParkedMessageDiscarded.safeParse({ ...action.data, adminId: 'not-a-uuid' }).success,
    'who did it must be a user id',
  );
  t.equal(adminActionsStreamName(adminId), `${ADMIN_ACTIONS_CATEGORY}-${adminId}`);
  t.end();
});
