import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { silentLogger } from '../helpers/databases.ts';

test('embedded PostgreSQL: a stale lock file never gets an unrelated process killed; start-up failures say why', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-stale-'));
  const dataDir = path.join(dir, 'data');
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    const first = await startEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
    await first.stop();

    // As after a reboot: the lock file survives and its pid now belongs to something else.
    await writeFile(path.join(dataDir, 'postmaster.pid'), `${bystander.pid}\n${dataDir}\n`);
    try {
      const second = await startEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
      t.pass('PostgreSQL judged the lock file stale (the pid belongs to another user) and started');
      await second.stop();
    } catch (error) {
      t.match(String(error), /did not start: [\s\S]*lock file/, 'or refused it, giving PostgreSQL\'s own reason');
    }
    t.equal(bystander.exitCode, null, 'the unrelated process was not signalled');
    t.equal(bystander.signalCode, null);

    await writeFile(path.join(dataDir, 'PG_VERSION'), '9\n');
    try {
      await startEmbeddedPostgres({ dir: dataDir, port: 0, logger: silentLogger });
      t.fail('a data directory of another major version must not start');
    } catch (error) {
      t.match(String(error), /did not start: [\s\S]*incompatible/, 'a failed start carries PostgreSQL\'s words');
    }
  } finally {
    bystander.kill('SIGKILL');
    await once(bystander, 'exit').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
