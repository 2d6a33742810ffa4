import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopIfUnused } from './embedded-lease.ts';
import { isAlive, runningServer, stopServer } from './postgres-process.ts';

/*
 * node embedded-reaper.ts <data directory> <pid>
 *
 * Started, detached, by a process that exits while still counted among the users of the
 * embedded PostgreSQL (process.exit on a second Ctrl-C, a shutdown that took too long, a test
 * runner giving up): it waits for that process to be gone, then does what its release() would
 * have done — stops the server if no other process uses it. It prints nothing; it is nobody's
 * foreground job.
 */

const OUTLIVE_MS = 30_000;
// How long a dead process's share may take to be let go by its server session.
const SHARE_GRACE_MS = 3_000;
const STOP_DEADLINE_MS = 30_000;

async function reap(dataDir: string, pid: number): Promise<void> {
  const waitUntil = Date.now() + OUTLIVE_MS;
  while (isAlive(pid) && Date.now() < waitUntil) await sleep(50);
  const server = await runningServer(dataDir);
  if (!server) return;
  const password = (await readFile(`${dataDir}.password`, 'utf8')).trim();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${server.port}/postgres`;
  await stopIfUnused(url, () => stopServer(dataDir, Date.now() + STOP_DEADLINE_MS), SHARE_GRACE_MS);
}

const [dataDir, pid] = process.argv.slice(2);
if (dataDir !== undefined && Number.isInteger(Number(pid))) await reap(dataDir, Number(pid)).catch(() => undefined);
