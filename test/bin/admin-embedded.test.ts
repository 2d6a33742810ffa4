import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import test from 'tape';
import { useEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../helpers/databases.ts';
import { operatorEnv, runAdmin } from '../fixtures/identity-admin-cli.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
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

test('admin CLI without database URLs: joins the embedded PostgreSQL the app runs and leaves it running; otherwise starts and stops its own', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-admin-embedded-'));
  const dataDir = path.join(dir, 'postgres');
  const env = operatorEnv({ EMBEDDED_POSTGRES_DIR: dataDir });
  // Stands in for `npm start`: the embedded server of the same data directory, already running.
  const appServer = await useEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
  let appServerStopped = false;
  closeAtEnd(t, async () => {
    if (!appServerStopped) await appServer.release();
    await rm(dir, { recursive: true, force: true });
  });
  const joined = await runAdmin(['grant', 'nobody@example.com'], env);
  t.equal(joined.code, 1, 'the CLI worked on the running server (the email is unknown there)');
  t.ok(joined.stderr.includes('no registered user has that email'), joined.stderr);
  t.ok(await answers(appServer.url('postgres')), "the app's server is still up after the CLI exited");

  await appServer.release();
  appServerStopped = true;
  t.notOk(existsSync(path.join(dataDir, 'postmaster.pid')), 'the app, the last user, stopped it');
  const alone = await runAdmin(['revoke', 'nobody@example.com'], env);
  t.equal(alone.code, 1, 'with no server running, the CLI started one and worked on it');
  t.ok(alone.stderr.includes('no registered user has that email'), alone.stderr);
  t.notOk(existsSync(path.join(dataDir, 'postmaster.pid')), 'and stopped it on the way out');
});
