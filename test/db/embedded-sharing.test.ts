import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopServer } from '../../src/db/postgres-process.ts';
import {
  bareEnv,
  collectOutput,
  exitOf,
  interrupt,
  noisyLines,
  runMainToExit,
  startDev,
  startMain,
  waitForLog,
} from '../helpers/run-main.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** Asks for the home page over and over until stopped; every answer that is not a 200 is kept. */
function keepAsking(base: string) {
  let asked = 0;
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const response = await fetch(`${base}/`);
        await response.arrayBuffer();
        if (response.status !== 200) failures.push(`${response.status} after ${asked} answers`);
      } catch (error) {
        failures.push(`${String(error)} after ${asked} answers`);
      }
      asked += 1;
      await sleep(50);
    }
  })();
  return {
    /** Resolves once `more` further answers have come (so a step is known to have been watched). */
    async atLeast(more: number) {
      const target = asked + more;
      await waitUntil(`${more} more answers from ${base}`, () => asked >= target);
    },
    async stop() {
      running = false;
      await loop;
      return { asked, failures };
    },
  };
}

const baseOf = (listening: Record<string, unknown>) => `http://127.0.0.1:${String(listening.port)}`;

scopedTest(
  'the embedded PostgreSQL is shared: migrate, a second npm start and npm run dev join the running app, which keeps answering 200; the last to leave stops it, whoever started it',
  async (t, scope) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-shared-pg-'));
    const dataDir = path.join(dir, 'postgres');
    scope.add(dir, async (folder) => {
      // A failed step may leave the server behind: it runs in its own process group, so stop it here.
      await stopServer(dataDir, Date.now() + 30_000);
      await rm(folder, { recursive: true, force: true });
    });
    const env = bareEnv({ PORT: '0', EMBEDDED_POSTGRES_DIR: dataDir, EMBEDDED_POSTGRES_PORT: '0' });
    const started = (child: ChildProcess) =>
      scope.add(child, async (process) => {
        if (process.exitCode === null && process.signalCode === null) {
          process.kill('SIGKILL');
          await exitOf(process);
        }
      });
    const first = started(startMain(env, { detached: true }));
    const firstBase = baseOf(await waitForLog(first, 'listening'));
    const watching = scope.add(keepAsking(firstBase), (asking) => asking.stop());
    await watching.atLeast(2);

    // Side by side, as a newcomer might: npm run migrate ("optional and safe"), a second
    // npm start on the same port, and npm run dev on another.
    const dev = started(startDev(env));
    const devOutput = collectOutput(dev);
    const [migrate, second, devListening] = await Promise.all([
      runMainToExit(env, 'src/bin/migrate.ts'),
      runMainToExit({ ...env, PORT: new URL(firstBase).port }),
      waitForLog(dev, 'listening'),
    ]);
    await watching.atLeast(3);

    t.equal(migrate.code, 0, `npm run migrate succeeded on the running server ${migrate.stderr.trim()}`);
    t.match(
      migrate.stdout,
      /joined the embedded PostgreSQL already running/,
      'it joined the server instead of starting one',
    );
    t.match(migrate.stdout, /left the embedded PostgreSQL running: another process uses it/, 'and left it running');

    t.equal(second.code, 1, 'a second app on the same port refuses to start');
    const refusal = second.stdout.split('\n').find((line) => line.includes('is in use'));
    t.ok(refusal, 'with a line saying the port is in use');
    t.notOk(refusal?.includes('"err"'), 'one plain line, no error object or stack');
    t.match(
      second.stdout,
      /left the embedded PostgreSQL running: another process uses it/,
      'and leaves the database to the first app',
    );

    const devBase = baseOf(devListening);
    t.match(
      devOutput.all(),
      /joined the embedded PostgreSQL already running/,
      'npm run dev on another port joins the running server',
    );
    t.equal((await fetch(`${devBase}/`)).status, 200, 'and serves pages from it');

    const { asked, failures } = await watching.stop();
    t.equal(
      failures.length,
      0,
      `the first app answered 200 every time (${asked} times) through all three ${failures.slice(0, 3).join('; ')}`,
    );

    // The app that started the server leaves first: the server stays for the one that remains.
    const firstOutput = collectOutput(first);
    const watchingDev = scope.add(keepAsking(devBase), (asking) => asking.stop());
    interrupt(first);
    t.equal(await exitOf(first), 0, 'the first app stops on Ctrl-C');
    t.match(
      firstOutput.all(),
      /left the embedded PostgreSQL running: another process uses it/,
      'and leaves the server to npm run dev',
    );
    await watchingDev.atLeast(3);
    const afterFirst = await watchingDev.stop();
    t.equal(
      afterFirst.failures.length,
      0,
      `npm run dev kept answering 200 (${afterFirst.asked} times) while the first app left ${afterFirst.failures.slice(0, 3).join('; ')}`,
    );

    devOutput.mark();
    interrupt(dev);
    t.equal(await exitOf(dev), 0, 'Ctrl-C ends npm run dev cleanly');
    t.deepEqual(noisyLines(devOutput.sinceMark()), [], 'and quietly');
    t.match(
      devOutput.sinceMark(),
      /"embedded PostgreSQL stopped"/,
      'being the last to use the server, it stops it, though it did not start it',
    );
    t.notOk(existsSync(path.join(dataDir, 'postmaster.pid')), 'no PostgreSQL is left running');
  },
);
