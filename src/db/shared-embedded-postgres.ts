import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseUrls } from '../config/env.ts';
import { startEmbeddedPostgres, type EmbeddedPostgresOptions } from './embedded-postgres.ts';
import { EMBEDDED_DATABASE_NAMES } from './prepare-databases.ts';

const WAIT_FOR_SERVER_MS = 15_000;

export interface SharedEmbeddedPostgres {
  readonly urls: DatabaseUrls;
  /** True when this process started the server (no app was running it). */
  readonly startedHere: boolean;
  /** Stops the server if this process started it; leaves a server someone else runs alone. */
  release(): Promise<void>;
}

interface PidFile {
  readonly pid: number;
  readonly port: number;
  /** PostgreSQL's own word for its state: starting, ready, stopping (line 8). */
  readonly status: string;
}

/** Signal 0 asks only whether the process exists; EPERM says it does (postgres may run as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return undefined;
    }
  }
}

/**
 * postmaster.pid of a server that is running on `dataDir` now, or undefined. The file outlives
 * a killed server and, after a reboot, its pid may name any process: only a live postgres whose
 * command line names this directory counts.
 */
async function runningServer(dataDir: string): Promise<PidFile | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !Number.isInteger(port) || port <= 0 || !isAlive(pid)) return undefined;
  const command = await commandLine(pid);
  if (!command?.includes('postgres') || !command.includes(dataDir)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** Waits out a server that is starting or stopping; undefined once none runs. */
async function settledServer(dataDir: string): Promise<PidFile | undefined> {
  const deadline = Date.now() + WAIT_FOR_SERVER_MS;
  for (;;) {
    const server = await runningServer(dataDir);
    if (!server || server.status === 'ready' || Date.now() > deadline) return server;
    await sleep(100);
  }
}

/**
 * The app's embedded PostgreSQL for a second program (the admin CLI) while the app may be
 * running. startEmbeddedPostgres would take a running server for one left behind by a killed
 * app and stop it, pulling the database from under `npm start`. So a live server on the data
 * directory is joined on the port it wrote in postmaster.pid (line 4), and one is started only
 * when none runs; release() stops only a server started here.
 */
export async function useEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<SharedEmbeddedPostgres> {
  const dataDir = path.resolve(options.dir);
  const running = await settledServer(dataDir);
  if (running && running.status !== 'stopping') {
    const password = (await readFile(`${dataDir}.password`, 'utf8')).trim();
    const url = (database: string) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.port}/${encodeURIComponent(database)}`;
    options.logger.debug({ port: running.port, pid: running.pid }, 'using the embedded PostgreSQL the app is running');
    return {
      urls: { databaseUrl: url(EMBEDDED_DATABASE_NAMES.app), messageStoreUrl: url(EMBEDDED_DATABASE_NAMES.messageStore) },
      startedHere: false,
      release: async () => undefined,
    };
  }
  const embedded = await startEmbeddedPostgres(options);
  return {
    urls: { databaseUrl: embedded.url(EMBEDDED_DATABASE_NAMES.app), messageStoreUrl: embedded.url(EMBEDDED_DATABASE_NAMES.messageStore) },
    startedHere: true,
    release: () => embedded.stop(),
  };
}
