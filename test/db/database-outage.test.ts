import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { identityCommandStreamName } from '../../src/contracts/identity.ts';
import { useEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { runningServer, stopServer } from '../../src/db/postgres-process.ts';
import { prepareDatabases } from '../../src/db/prepare-databases.ts';
import { FROM_THIS_SITE, profileFields } from '../helpers/accounts.ts';
import { silentLogger } from '../helpers/databases.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** Posts the registration form as a browser would; resolves with the user id and the status of the post. */
async function register(app: Express, email: string): Promise<{ userId: string; status: number }> {
  const agent = request.agent(app);
  const page = await agent.get('/register');
  const userId = /name="userId" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const password = 'a long enough password';
  const posted = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page), userId, email, password, passwordAgain: password, ...profileFields() });
  return { userId, status: posted.status };
}

// What a visitor must never be shown: an error's own words or where in the code it came from.
const INTERNALS = /\n\s+at |ECONNREFUSED|terminat|Error\b|stack|postgres/i;

scopedTest(
  'database outage: pages answer 503 "try again in a moment" (never a stack), /ready says which database is out, and the app resumes by itself keeping every acknowledged write',
  async (t, scope) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-outage-'));
    const dataDir = path.join(dir, 'data');
    scope.add(dir, async () => {
      await stopServer(dataDir, Date.now() + 30_000);
      await rm(dir, { recursive: true, force: true });
    });
    // Released after the app stopped, in the order taken.
    const leases = scope.add([] as EmbeddedPostgres[], async (all) => {
      for (const lease of all) await lease.release();
    });
    const server = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    leases.push(server);
    const urls = { databaseUrl: server.url('outage_app'), messageStoreUrl: server.url('outage_messages') };
    await prepareDatabases(urls, silentLogger);
    // Development mode: the one that used to show stacks on error pages. No page cache: a home page
    // read less than its 250 ms before would otherwise be served from memory through the outage.
    const system = scope.add(await createTestSystem({ urls, production: false, pageCacheMs: 0 }), (running) =>
      running.stop(),
    );
    system.start();
    const site = request(system.app);

    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const { userId, status } = await register(system.app, `before-outage-${i}@example.com`);
      if (status === 303) acknowledged.push(userId);
    }
    t.equal(acknowledged.length, 5, 'five registrations acknowledged before the outage');
    t.equal((await site.get('/')).status, 200, 'the home page answers');

    // The database goes away as in a crash: an immediate shutdown, recovery on the next start.
    const { pid } = (await runningServer(dataDir))!;
    process.kill(pid, 'SIGQUIT');
    await waitUntil('the database to be gone', async () => !(await runningServer(dataDir)));

    const home = await site.get('/');
    t.equal(home.status, 503, 'during the outage the home page answers 503');
    t.match(home.text, /try again in a moment/i, 'a plain page asking to try again in a moment');
    t.equal(home.headers['retry-after'], '5', 'and says when in Retry-After');
    t.doesNotMatch(home.text.replace(/<[^>]+>/g, ' '), INTERNALS, 'with no stack, error message or internal word');
    const during = await register(system.app, 'during-outage@example.com');
    t.equal(during.status, 503, 'a form posted during the outage is refused the same way, not acknowledged');

    const ready = await site.get('/ready');
    t.equal(ready.status, 503, '/ready says the node is not ready');
    t.deepEqual(
      ready.body.checks,
      { appDatabase: 'unreachable', migrations: 'unknown', messageStore: 'unreachable' },
      'and names what is out of reach',
    );

    leases.push(await useEmbeddedPostgres({ dir: dataDir, port: server.port, logger: silentLogger }));
    await waitUntil('the home page to answer again', async () => (await site.get('/')).status === 200);
    t.pass('once the database is back, the home page answers 200 again, with nothing restarted');
    t.equal((await site.get('/ready')).status, 200, '/ready too');

    for (const userId of acknowledged) {
      const commands = await system.messageStore.readStream(identityCommandStreamName(userId));
      if (!commands.some((message) => message.type === 'Register'))
        t.fail(`the acknowledged registration of ${userId} is missing`);
    }
    t.pass('every registration acknowledged before the outage is in the store after it');
    await waitUntil(
      'the subscribers to catch up',
      async () =>
        Number(
          (
            await system
              .db('user_credentials')
              .whereIn('user_id', acknowledged)
              .count<{ count: string }[]>('* as count')
          )[0]?.count,
        ) === acknowledged.length,
      { timeoutMs: 30_000 },
    );
    t.pass('and the subscribers went on by themselves: each of them has a credentials row');
  },
);
