import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { DatabaseUrls } from '../src/config/env.ts';
import { freshDatabases } from './helpers/databases.ts';
import { openTestStore } from './helpers/message-store.ts';
import { recordViewing, visitorAddress } from './helpers/browser.ts';
import { bareEnv, startMain, waitForLog } from './helpers/run-main.ts';
import { openProjectionDb } from './helpers/subscribers.ts';
import { catalogVideo, videosWatched, writeViewings } from './helpers/viewings.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { scopedTest } from './helpers/scoped-test.ts';

function start(urls: DatabaseUrls, args: string[]): ChildProcess {
  const env = bareEnv({
    PORT: '0',
    DATABASE_URL: urls.databaseUrl,
    MESSAGE_STORE_URL: urls.messageStoreUrl,
    SUBSCRIBER_BATCH_SIZE: '20',
    TRUST_PROXY: 'loopback',
  });
  return startMain(env, { args, stderr: 'inherit' });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  await once(child, 'exit');
}

const worker = (member: number) => ['--worker', '--only', 'home-page', '--member', String(member), '--size', '2'];

scopedTest(
  'scale-out: one web process and two workers in a group of two count every viewing once, through a worker crash',
  async (t, scope) => {
    const urls = await freshDatabases();
    const { pool } = await openTestStore(scope, urls, { max: 1 });
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeViewings(pool, 3000);

    const web = scope.add(start(urls, ['--web']), stop);
    const base = `http://127.0.0.1:${String((await waitForLog(web, 'listening')).port)}`;
    const workers = [0, 1].map((member) => scope.add(start(urls, worker(member)), stop));
    await Promise.all(workers.map((child) => waitForLog(child, 'working')));
    await waitUntil('the workers to be part-way through', async () => (await videosWatched(db)) >= 500, {
      timeoutMs: 60_000,
      intervalMs: 5,
    });

    // Worker 1 dies mid-run; viewings keep coming, by the web (twenty visitors) and by another program.
    await stop(workers[1]!, 'SIGKILL');
    const videoId = await catalogVideo(db);
    let posted = 0;
    for (let n = 0; n < 20; n += 1) if ((await recordViewing(base, videoId, visitorAddress(n))) === 303) posted += 1;
    t.equal(posted, 20, 'the web process keeps taking viewings');
    await writeViewings(pool, 1000);

    const restarted = scope.add(start(urls, worker(1)), stop);
    await waitForLog(restarted, 'working');
    const total = 3000 + 20 + 1000;
    await waitUntil('every viewing to be counted', async () => (await videosWatched(db)) >= total, {
      timeoutMs: 120_000,
    });
    const last = await pool.query<{ max: string }>('SELECT max(global_position) FROM messages');
    await waitUntil(
      'both members to reach the end',
      async () => {
        const rows = await db('subscriber_positions')
          .where({ group_size: 2 })
          .select<{ position: string }[]>('position');
        return rows.length === 2 && rows.every((row) => Number(row.position) > 0);
      },
      { timeoutMs: 30_000 },
    );
    t.ok(Number(last.rows[0]?.max) >= total, 'the store holds them all');
    t.equal(await videosWatched(db), total, `all ${total} counted exactly once`);
    const page = await (await fetch(`${base}/`)).text();
    t.match(page, new RegExp(`Viewers have watched <strong>${total}</strong>`), 'and the web process shows it');
  },
);
