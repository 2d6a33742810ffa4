import pg from 'pg';
import request from 'supertest';
import test from 'tape';
import type { SubscriberStatus } from '../../src/subscription/status.ts';
import { createExpressApp } from '../../src/web/create-app.ts';
import { createHealthRouter, type ReadinessChecks } from '../../src/web/health.ts';
import { createStatusRouter } from '../../src/web/status.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const ALL_OK = { status: 'ready', checks: { appDatabase: 'ok', migrations: 'ok', messageStore: 'ok' } };
const TOKEN = 'operator-token-for-tests';

function site({
  production = false,
  checks,
  subscribers = [],
  token,
}: {
  production?: boolean;
  checks?: Partial<ReadinessChecks>;
  subscribers?: readonly unknown[];
  token?: string;
}) {
  return createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production,
    requestBodyTimeoutMs: 60_000,
    viewDirs: [],
    routes: [],
    probes: [
      createHealthRouter({
        appDatabase: async () => undefined,
        pendingMigrations: async () => 0,
        messageStore: async () => '1.3.0',
        ...checks,
      }),
      // /status only serialises what the engine reports, whatever its fields are.
      createStatusRouter({ subscribers: () => subscribers as readonly SubscriberStatus[], token, production }),
    ],
  });
}

test('/ready: names the failing check and never why', async (t) => {
  const leak = 'password authentication failed for user "app" at 10.0.0.5';
  const down = site({
    checks: {
      appDatabase: () => Promise.reject(new Error(leak)),
      pendingMigrations: () => Promise.reject(new Error(leak)),
      messageStore: () => Promise.reject(new Error('function message_store_version() does not exist')),
    },
  });
  const response = await request(down).get('/ready');
  t.equal(response.status, 503);
  t.deepEqual(response.body, {
    status: 'not ready',
    checks: { appDatabase: 'unreachable', migrations: 'unknown', messageStore: 'unreachable' },
  });
  t.doesNotMatch(response.text, /password|10\.0\.0\.5|message_store_version|1\.3\.0/, 'no error messages or versions');

  const pending = await request(site({ checks: { pendingMigrations: async () => 1 } })).get('/ready');
  t.equal(pending.status, 503, 'a pending migration: not ready');
  t.deepEqual(pending.body.checks, { appDatabase: 'ok', migrations: 'pending', messageStore: 'ok' });

  const hanging = site({ checks: { messageStore: () => new Promise(() => undefined), timeoutMs: 50 } });
  const slow = await request(hanging).get('/ready');
  t.equal(slow.status, 503, 'a check that does not answer in time fails');
  t.equal(slow.body.checks.messageStore, 'unreachable');

  const ok = await request(site({})).get('/ready');
  t.equal(ok.status, 200);
  t.deepEqual(ok.body, ALL_OK, 'only the three checks');
  t.equal(ok.headers['set-cookie'], undefined, 'probes run before sessions');
});

test('/ready on the real system: ready without subscribers, stalled or not; not ready with a pending migration or no Message DB', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const before = await request(system.app).get('/ready');
  t.equal(before.status, 200, 'ready before the subscribers start: readiness is about serving pages');
  t.deepEqual(before.body, ALL_OK);

  // Make the home-page aggregator stall: its handler fails on every valid event.
  system.start();
  await system.db.schema.renameTable('home_page', 'home_page_gone');
  await system.messageStore.write('viewing-b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d', {
    id: crypto.randomUUID(),
    type: 'VideoViewed',
    data: { videoId: 'b0a1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d', userId: null },
    metadata: {},
  });
  await waitUntil('the home-page aggregator to stall', () => system.subscriptions[0]?.status().state === 'stalled');
  const stalled = await request(system.app).get('/ready');
  t.equal(stalled.status, 200, 'a stalled subscriber does not take the web node out of rotation');
  t.deepEqual(stalled.body, ALL_OK, 'and is not mentioned');
  const status = await request(system.app).get('/status').expect(200);
  t.equal(status.body.subscribers[0]?.subscriberId, 'aggregators:home-page', '/status is where it shows');
  t.equal(status.body.subscribers[0]?.state, 'stalled');
  await system.db.schema.renameTable('home_page_gone', 'home_page');

  await system.db('knex_migrations').where({ name: '20261126000002_home_page' }).delete();
  const pending = await request(system.app).get('/ready');
  t.equal(pending.status, 503, 'a migration that has not run: not ready');
  t.equal(pending.body.checks.migrations, 'pending');
  await system.db('knex_migrations').insert({ name: '20261126000002_home_page', batch: 2, migration_time: new Date() });

  const admin = new pg.Client({ connectionString: system.urls.messageStoreUrl });
  await admin.connect();
  try {
    await admin.query('ALTER FUNCTION message_store.message_store_version() RENAME TO message_store_version_gone');
    const noMessageDb = await request(system.app).get('/ready');
    t.equal(noMessageDb.status, 503, 'Message DB not installed: not ready');
    t.deepEqual(noMessageDb.body.checks, { appDatabase: 'ok', migrations: 'ok', messageStore: 'unreachable' });
    await admin.query('ALTER FUNCTION message_store.message_store_version_gone() RENAME TO message_store_version');
  } finally {
    await admin.end();
  }
  t.equal((await request(system.app).get('/ready')).status, 200, 'ready again');
});

test('/status: subscriber detail for operators, guarded by STATUS_TOKEN', async (t) => {
  const subscribers = [{ subscriberId: 'aggregators:x', state: 'stalled', anything: { the: 'engine reports' } }];

  const development = await request(site({ subscribers })).get('/status');
  t.equal(development.status, 200, 'no token, development: open');
  t.deepEqual(development.body, { subscribers }, 'exactly what the engine reports');
  t.equal(development.headers['set-cookie'], undefined, 'mounted before sessions');

  const hidden = await request(site({ subscribers, production: true })).get('/status');
  t.equal(hidden.status, 404, 'no token, production: not there');
  t.doesNotMatch(hidden.text, /aggregators:x/);

  for (const production of [false, true]) {
    const guarded = site({ subscribers, production, token: TOKEN });
    const none = await request(guarded).get('/status');
    t.equal(none.status, 401, `token set (production ${production}): no credentials, 401`);
    t.match(String(none.headers['www-authenticate']), /^Bearer/);
    t.doesNotMatch(none.text, /aggregators:x/);
    for (const wrong of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, 'Bearer ']) {
      t.equal(
        (await request(guarded).get('/status').set('Authorization', wrong)).status,
        401,
        `${JSON.stringify(wrong)} is refused`,
      );
    }
    const right = await request(guarded).get('/status').set('Authorization', `Bearer ${TOKEN}`);
    t.equal(right.status, 200, 'the right bearer token is let in');
    t.deepEqual(right.body, { subscribers });
  }
});
