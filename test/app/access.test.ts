import express from 'express';
import request from 'supertest';
import test from 'tape';
import { createCredentialsQueries } from '../../src/app/authenticate/queries.ts';
import { ADMIN_ROLE } from '../../src/contracts/identity.ts';
import { requireAdmin, requireUser } from '../../src/web/access.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('access: requireUser sends visitors to log in and back; requireAdmin answers 403 to users without the role', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const credentials = createCredentialsQueries(system.db);
  // The portals that come next mount their routers behind these; a router of our own stands in,
  // with the session's user id taken from a header instead of a logged-in cookie.
  const app = express();
  app.set('views', [COMMON_VIEWS_DIR]);
  app.set('view engine', 'pug');
  app.locals.basedir = COMMON_VIEWS_DIR;
  app.use((req, _res, next) => {
    req.context = { traceId: 'trace', userId: req.get('x-test-user') ?? null };
    next();
  });
  app.get('/mine', requireUser(), (req, res) => void res.send(`hello ${req.context.userId}`));
  app.get('/admin', requireAdmin(credentials.rolesOf), (_req, res) => void res.send('admin page'));
  app.use(errorHandler({ logger: silentLogger }));

  const visitor = await request(app).get('/mine?x=1');
  t.equal(visitor.status, 303, 'a visitor is redirected');
  t.equal(visitor.headers.location, '/auth/log-in?returnTo=%2Fmine%3Fx%3D1', 'to log in, then back');
  t.equal((await request(app).get('/admin')).headers.location, '/auth/log-in?returnTo=%2Fadmin', 'admin pages too');

  const user = await seedAccount(system.db);
  t.equal(
    (await request(app).get('/mine').set('x-test-user', user.userId).expect(200)).text,
    `hello ${user.userId}`,
    'a logged-in user gets in',
  );
  const refused = await request(app).get('/admin').set('x-test-user', user.userId);
  t.equal(refused.status, 403, 'a user without the admin role → 403');
  t.match(refused.text, /for administrators/);

  const admin = await seedAccount(system.db, { roles: [ADMIN_ROLE] });
  t.equal(
    (await request(app).get('/admin').set('x-test-user', admin.userId).expect(200)).text,
    'admin page',
    'an admin gets in',
  );
  await system.db('user_credentials').where({ user_id: admin.userId }).update({ roles: [] });
  t.equal(
    (await request(app).get('/admin').set('x-test-user', admin.userId)).status,
    403,
    'a revoked role takes effect at the next request',
  );
});
