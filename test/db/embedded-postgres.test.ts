import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import test from 'tape';
import { useEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { runningServer, stopServer } from '../../src/db/postgres-process.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createScope, type Scope } from '../helpers/scope.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd, scopedTest } from '../helpers/scoped-test.ts';

const execFile = promisify(execFileCallback);

async function setting(embedded: EmbeddedPostgres, name: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: embedded.url('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ value: string }>('SELECT current_setting($1) AS value', [name]);
    return rows[0]?.value;
  } finally {
    await client.end();
  }
}

async function answers(embedded: EmbeddedPostgres): Promise<boolean> {
  const client = new pg.Client({ connectionString: embedded.url('postgres') });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let template: Promise<string> | undefined;

/** One initdb for the file (the slow part of a first start), copied for each test; removed when tape finishes. */
function initialisedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-embedded-template-'));
    test.onFinish(() => void rm(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    await (await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger })).release();
    return dataDir;
  })();
  return template;
}

/** A data directory of its own for a test, initialised; the scope stops any server left on it (it runs detached) and removes it. */
async function dataDirectory(scope: Scope): Promise<string> {
  const source = await initialisedTemplate();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-embedded-'));
  const dataDir = path.join(dir, 'data');
  // -a keeps the owner: run as root, the files belong to the postgres user.
  await execFile('cp', ['-a', source, dataDir]);
  await execFile('cp', ['-a', `${source}.password`, `${dataDir}.password`]);
  scope.add(dir, async () => {
    await stopServer(dataDir, Date.now() + 30_000);
    await rm(dir, { recursive: true, force: true });
  });
  return dataDir;
}

/** test/fixtures/embedded-postgres-user.ts as a process of its own; resolves once it uses the server. */
async function otherUser(scope: Scope, dataDir: string, end: 'exit' | 'wait'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/embedded-postgres-user.ts'], {
    env: { ...process.env, DIR: dataDir, END: end },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  scope.add(child, async (process) => {
    if (process.exitCode === null && process.signalCode === null) {
      process.kill('SIGKILL');
      await once(process, 'exit');
    }
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  if (!line.startsWith('using ')) throw new Error(`unexpected output: ${line}`);
  return child;
}

const advisoryShares = async (embedded: EmbeddedPostgres): Promise<number> => {
  const client = new pg.Client({ connectionString: embedded.url('postgres') });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock' AND granted`,
    );
    return rows[0]?.n ?? 0;
  } finally {
    await client.end();
  }
};

scopedTest(
  'embedded PostgreSQL: a second user joins the running server; the first to leave leaves it running, the last stops it',
  async (t, scope) => {
    const dataDir = await dataDirectory(scope);
    const first = await useEmbeddedPostgres({
      dir: dataDir,
      port: 0,
      logger: silentLogger,
      settings: { max_connections: '123' },
    });
    const second = await useEmbeddedPostgres({
      dir: dataDir,
      port: 0,
      logger: silentLogger,
      settings: { max_connections: '45' },
    });
    t.ok(first.startedHere, 'the first user started the server');
    t.notOk(second.startedHere, 'the second joined it');
    t.equal(second.port, first.port, 'on the port the server listens on');
    t.equal(
      await setting(second, 'max_connections'),
      '123',
      'with the settings of the one that started it (a joiner’s are not applied)',
    );

    await first.release();
    t.ok(await answers(second), 'the one that started it left, and the server still serves the other');
    await second.release();
    t.notOk(existsSync(path.join(dataDir, 'postmaster.pid')), 'the last to leave stopped it');

    const again = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    t.ok(again.startedHere && (await answers(again)), 'a later user starts it again, on the same data');
    await again.release();
  },
);

scopedTest(
  'embedded PostgreSQL: a user that exits without releasing hands the server on; one killed outright leaves it to be joined',
  async (t, scope) => {
    const dataDir = await dataDirectory(scope);
    const pidFile = path.join(dataDir, 'postmaster.pid');

    const mine = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    const leaver = await otherUser(scope, dataDir, 'exit');
    await once(leaver, 'exit');
    await waitUntil('the exited user to be let go', async () => (await advisoryShares(mine)) === 1);
    t.ok(await answers(mine), 'a process that exited without releasing did not stop a server another process uses');
    await mine.release();
    // Its reaper may still be asking; whichever of the two asks last stops the server.
    await waitUntil('the server to stop once its last user left', () => !existsSync(pidFile));
    t.pass('which stops it when it leaves');

    const alone = await otherUser(scope, dataDir, 'exit');
    await once(alone, 'exit');
    await waitUntil('the server it used alone to be stopped after it exited', () => !existsSync(pidFile));
    t.pass('a process that exited without releasing a server nobody else used got it stopped (embedded-reaper.ts)');

    const killed = await otherUser(scope, dataDir, 'wait');
    killed.kill('SIGKILL');
    await once(killed, 'exit');
    t.ok(await runningServer(dataDir), 'one killed outright leaves the server running...');
    const next = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    t.notOk(next.startedHere, '...which the next user joins rather than stops');
    await next.release();
    t.notOk(existsSync(pidFile), 'and stops when it leaves, as the last user');
  },
);

scopedTest(
  'embedded PostgreSQL: a user whose server restarted counts again, so a newcomer leaving does not stop the server under it',
  async (t, scope) => {
    const dataDir = await dataDirectory(scope);
    const longLived = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    const { port } = longLived;
    const crashed = await runningServer(dataDir);
    process.kill(crashed!.pid, 'SIGQUIT'); // as if it crashed: immediate shutdown, recovery on the next start
    await waitUntil('the server to go', async () => !(await runningServer(dataDir)));

    const newcomer = await useEmbeddedPostgres({ dir: dataDir, port, logger: silentLogger });
    t.ok(newcomer.startedHere, 'a newcomer found no server and started one, on the same port');
    await waitUntil('the long-lived user to take its share again', async () => (await advisoryShares(newcomer)) === 2);
    await newcomer.release();
    t.ok(await answers(longLived), 'the newcomer left the server running: the long-lived user counts again');
    await longLived.release();
    t.notOk(await runningServer(dataDir), 'which stopped it when it left');
  },
);

test('embedded PostgreSQL: a stale lock file never gets an unrelated process killed; start-up failures say why', async (t) => {
  const scope = createScope();
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
  // Killed before the scope closes: the scope's stopServer reads a lock file that may still name it.
  closeAtEnd(t, async () => {
    bystander.kill('SIGKILL');
    await once(bystander, 'exit').catch(() => undefined);
    await scope.close();
  });
  const dataDir = await dataDirectory(scope);
  const first = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
  await first.release();

  // As after a reboot: the lock file survives and its pid now belongs to something else.
  await writeFile(path.join(dataDir, 'postmaster.pid'), `${bystander.pid}\n${dataDir}\n`);
  try {
    const second = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    t.pass('PostgreSQL judged the lock file stale (the pid belongs to another user) and started');
    await second.release();
  } catch (error) {
    t.match(String(error), /did not start: [\s\S]*lock file/, "or refused it, giving PostgreSQL's own reason");
  }
  t.equal(bystander.exitCode, null, 'the unrelated process was not signalled');
  t.equal(bystander.signalCode, null);

  await writeFile(path.join(dataDir, 'PG_VERSION'), '9\n');
  try {
    await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    t.fail('a data directory of another major version must not start');
  } catch (error) {
    t.match(String(error), /did not start: [\s\S]*incompatible/, "a failed start carries PostgreSQL's words");
  }
});
