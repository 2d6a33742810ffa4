import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { createAppDatabase } from '../src/db/app-database.ts';
import { EMBEDDED_DATABASE_NAMES } from '../src/db/prepare-databases.ts';
import { watchedCountOf } from './helpers/http.ts';
import { catalogVideo } from './helpers/viewings.ts';
import { recordViewing } from './helpers/browser.ts';
import { bareEnv, startMain, waitForLog } from './helpers/run-main.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { closeAtEnd } from './helpers/scoped-test.ts';
import { stopServer } from '../src/db/postgres-process.ts';

async function stopWith(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  child.kill(signal);
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/**
 * A published video in the catalog of the app's embedded PostgreSQL, reached as the app reaches
 * it (the password file beside its data directory, the port in postmaster.pid).
 */
async function publishedInEmbedded(dataDir: string): Promise<string> {
  const password = (await readFile(`${dataDir}.password`, 'utf8')).trim();
  const port = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[3]?.trim();
  const db = createAppDatabase(
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAMES.app}`,
    { poolMax: 1 },
  );
  try {
    return await catalogVideo(db);
  } finally {
    await db.destroy();
  }
}

async function homeCount(base: string): Promise<number | undefined> {
  return watchedCountOf(await (await fetch(`${base}/`)).text());
}

test('smoke: `npm start` with no database variables runs on the embedded PostgreSQL, keeps data, and never orphans it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-smoke-'));
  const children: ChildProcess[] = [];
  closeAtEnd(t, async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) await stopWith(child, 'SIGKILL');
    // A killed app leaves its PostgreSQL running: stopped before its folder goes, never orphaned.
    await stopServer(path.join(dir, 'postgres'), Date.now() + 15_000);
    await rm(dir, { recursive: true, force: true });
  });
  const dataDir = path.join(dir, 'postgres');
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const env = bareEnv({ PORT: '0', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: '0' });
  const start = async () => {
    const child = startMain(env);
    children.push(child);
    const listening = await waitForLog(child, 'listening', 120_000);
    return { child, listening, base: `http://127.0.0.1:${String(listening.port)}` };
  };
  const first = await start();
  t.equal(first.listening.embeddedPostgres, true, 'it started the embedded PostgreSQL');
  const home = await fetch(`${first.base}/`);
  t.equal(home.status, 200, 'GET / is 200');
  t.equal(watchedCountOf(await home.text()), 0, 'the home page renders from its projection');
  t.equal((await fetch(`${first.base}/ready`)).status, 200, '/ready');
  const videoId = await publishedInEmbedded(dataDir);
  t.equal(await recordViewing(first.base, videoId), 303, 'a viewing is recorded');
  await waitUntil('the count to reach 1', async () => (await homeCount(first.base)) === 1);
  t.equal(await stopWith(first.child, 'SIGINT'), 0, 'Ctrl-C (SIGINT) exits cleanly');
  t.notOk(existsSync(pidFile), 'and the embedded PostgreSQL stopped with it');

  const second = await start();
  t.equal(await homeCount(second.base), 1, 'the data is kept across restarts');
  second.child.kill('SIGKILL');
  await once(second.child, 'exit');
  t.ok(existsSync(pidFile), 'a killed app leaves its PostgreSQL behind...');

  const third = await start();
  t.equal(await homeCount(third.base), 1, '...which the next start joins (nobody else uses it) and takes on');
  t.equal(await stopWith(third.child, 'SIGTERM'), 0, 'SIGTERM exits cleanly');
  t.notOk(existsSync(pidFile), 'no postgres left running');
});

test('smoke: SIGTERM to `npm start` stops the app and its embedded PostgreSQL too', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-npm-'));
  const dataDir = path.join(dir, 'postgres');
  const env = bareEnv({ PORT: '0', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: '0' });
  const npm = spawn('npm', ['start', '--silent'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Known once npm has started the app; the teardown reads it then.
  let appPid: number | undefined = undefined;
  closeAtEnd(t, async () => {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    if (appPid !== undefined && isRunning(appPid)) process.kill(appPid, 'SIGKILL');
    await stopServer(dataDir, Date.now() + 15_000);
    await rm(dir, { recursive: true, force: true });
  });
  const listening = await waitForLog(npm, 'listening', 120_000);
  appPid = Number(listening.pid);
  t.ok(Number.isInteger(appPid) && appPid !== npm.pid, 'the app runs as a child of npm');
  npm.kill('SIGTERM');
  await waitUntil('the app to exit after npm', () => !isRunning(appPid!), { timeoutMs: 20_000 });
  t.pass('the app exited with npm');
  t.notOk(existsSync(path.join(dataDir, 'postmaster.pid')), 'and stopped its embedded PostgreSQL');
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
