import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { DatabaseUrls } from '../src/config/env.ts';
import { freshDatabases } from './helpers/databases.ts';
import { openTestStore } from './helpers/message-store.ts';
import { postForm, visitorAddress, watchForm } from './helpers/browser.ts';
import { bareEnv, exitOf, startMain, waitForLog } from './helpers/run-main.ts';
import { openProjectionDb } from './helpers/subscribers.ts';
import { catalogVideo, videosWatched } from './helpers/viewings.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { scopedTest } from './helpers/scoped-test.ts';

function startApp(urls: DatabaseUrls): ChildProcess {
  // Each post comes as another visitor behind a trusted proxy: every one counts, none is held up by the per-address limit.
  const env = bareEnv({
    PORT: '0',
    DATABASE_URL: urls.databaseUrl,
    MESSAGE_STORE_URL: urls.messageStoreUrl,
    TRUST_PROXY: 'loopback',
  });
  return startMain(env, { stderr: 'inherit' });
}

scopedTest(
  'graceful shutdown: SIGTERM in the middle of a stream of viewings loses none that were acknowledged',
  async (t, scope) => {
    const urls = await freshDatabases();
    const { pool } = await openTestStore(scope, urls, { max: 1 });
    const db = openProjectionDb(scope, urls.databaseUrl);
    const app = scope.add(startApp(urls), async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    });
    const base = `http://127.0.0.1:${String((await waitForLog(app, 'listening')).port)}`;
    const form = await watchForm(base, await catalogVideo(db));

    let acknowledged = 0;
    let refused = 0;
    let visitors = 0;
    let running = true;
    const post = async () => {
      while (running) {
        try {
          const status = await postForm(base, form, visitorAddress((visitors += 1)));
          if (status === 303) acknowledged += 1;
          else refused += 1;
        } catch {
          refused += 1; // the server has stopped taking connections
          if (app.exitCode !== null) return;
        }
      }
    };
    const clients = Array.from({ length: 5 }, post);
    await waitUntil('a stream of viewings', () => acknowledged >= 200);
    app.kill('SIGTERM');
    const [code] = (await once(app, 'exit')) as [number | null];
    running = false;
    await Promise.all(clients);
    t.equal(code, 0, `the app exited cleanly (exit code ${code})`);

    const stored = await pool.query<{ count: string }>(
      `SELECT count(*) FROM messages WHERE category(stream_name) = 'viewing'`,
    );
    t.ok(
      Number(stored.rows[0]?.count) >= acknowledged,
      `every acknowledged viewing is in the store (${acknowledged} acknowledged, ${refused} refused, ${stored.rows[0]?.count} stored)`,
    );

    // Started again, the aggregator goes on from where it stopped and counts each exactly once.
    // exitOf, not once('exit'): an app that crashed on start has exited already, and would hang the teardown.
    const again = scope.add(startApp(urls), async (child) => {
      child.kill('SIGTERM');
      await exitOf(child);
    });
    await waitForLog(again, 'listening');
    await waitUntil('the count to catch up', async () => (await videosWatched(db)) === Number(stored.rows[0]?.count));
    t.equal(await videosWatched(db), Number(stored.rows[0]?.count), 'the count matches the store exactly');
  },
);
