import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlive, runningServer, stopServer } from '../../src/db/postgres-process.ts';
import { bareEnv, collectOutput, exitOf, interrupt, noisyLines, startMain, waitForLog } from '../helpers/run-main.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** Alive and not a zombie: an exited child of the app may wait a moment to be reaped by whoever inherits it. */
function stillRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

scopedTest(
  'Ctrl-C in a terminal (and its echo from npm or tsx watch): the app closes its pools, then stops the embedded PostgreSQL, printing no warning or stack',
  async (t, scope) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-interrupt-'));
    const dataDir = path.join(dir, 'postgres');
    scope.add(dir, async () => {
      await stopServer(dataDir, Date.now() + 30_000);
      await rm(dir, { recursive: true, force: true });
    });
    // A process group of its own, as a shell gives a foreground job; Ctrl-C signals the whole group.
    const app = scope.add(
      startMain(bareEnv({ PORT: '0', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: '0' }), {
        detached: true,
      }),
      async (child) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exitOf(child);
        }
      },
    );
    const output = collectOutput(app);
    await waitForLog(app, 'listening');
    const postgres = await runningServer(dataDir);
    t.ok(postgres, 'the app started its embedded PostgreSQL');

    output.mark();
    const shuttingDown = waitForLog(app, 'shutting down');
    interrupt(app);
    await shuttingDown;
    // Under npm or tsx watch the same Ctrl-C comes again, passed on by the runner, which got it too.
    interrupt(app);
    t.equal(await exitOf(app), 0, 'the app exits cleanly, taking the echo of the keypress for the same keypress');
    t.deepEqual(
      noisyLines(output.sinceMark()),
      [],
      'and quietly: no warning, error or stack, nothing but its own log lines',
    );
    t.match(output.sinceMark(), /"embedded PostgreSQL stopped"/, 'having stopped the database itself');
    t.notOk(stillRunning(postgres!.pid), 'no postgres is left running');
  },
);
