import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

/*
 * The PostgreSQL server process behind the embedded database: find the one running on a data
 * directory, start one, stop one. Nothing here decides *whether* to start or stop; that is
 * embedded-postgres.ts's job, from what the other processes using the server say.
 */

export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  /** PostgreSQL's own word for its state (postmaster.pid, line 8): starting, ready, stopping. */
  readonly status: string;
}

const POLL_MS = 50;

/** Signal 0 asks only whether the process exists; EPERM says it does (postgres may run as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of `pid`; empty for a process that has exited but was not yet reaped. */
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
 * The server running on `dataDir` now, or undefined. postmaster.pid outlives a killed server
 * and, after a reboot, its pid may name any process: only a live postgres whose command line
 * names this directory counts.
 */
export async function runningServer(dataDir: string): Promise<RunningServer | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (
    !Number.isInteger(pid) ||
    pid <= 0 ||
    pid === process.pid ||
    !Number.isInteger(port) ||
    port <= 0 ||
    !isAlive(pid)
  )
    return undefined;
  const command = await commandLine(pid);
  if (!command?.includes('postgres') || !command.includes(dataDir)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** The server once it is ready or gone; one still starting or stopping at `deadline` is returned as it is. */
export async function settledServer(dataDir: string, deadline: number): Promise<RunningServer | undefined> {
  for (;;) {
    const server = await runningServer(dataDir);
    if (!server || server.status === 'ready' || Date.now() > deadline) return server;
    await sleep(POLL_MS);
  }
}

/** Resolves once no server runs on `dataDir` (false if one still does at `deadline`). */
export async function serverGone(dataDir: string, deadline: number): Promise<boolean> {
  while (await runningServer(dataDir)) {
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

/** The binaries embedded-postgres would run: its platform package, resolved from where it is installed. */
async function binaries(): Promise<Binaries> {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const entry = fromEmbeddedPostgres.resolve(`@embedded-postgres/${platform}-${process.arch}`);
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

/** PostgreSQL refuses to run as root; as root it runs as the `postgres` user embedded-postgres creates. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface StartOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Where the server writes its log (it outlives this process, so not to our stdout). */
  readonly logFile: string;
  readonly deadline: number;
  /** Server settings for this start only (`-c name=value`), e.g. a test server's max_connections. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * Starts PostgreSQL on `dataDir` in a session of its own (detached): a terminal's Ctrl-C or
 * hang-up reaches the process group in the foreground, and the server must get neither — the
 * app stops it, after closing its pools, only when no other process uses it. Its output goes
 * to `logFile`, since it may outlive whoever started it. Resolves when it accepts connections.
 */
export async function startServer({
  dataDir,
  port,
  logFile,
  deadline,
  settings = {},
}: StartOptions): Promise<RunningServer> {
  const { postgres } = await binaries();
  const log = openSync(logFile, 'w', 0o600);
  let exited: string | undefined;
  try {
    const flags = Object.entries({ listen_addresses: '127.0.0.1', unix_socket_directories: '', ...settings }).flatMap(
      ([name, value]) => ['-c', `${name}=${value}`],
    );
    const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...flags], {
      detached: true,
      stdio: ['ignore', log, log],
      // It needs no secret of ours; LC_MESSAGES=C keeps a failure's words greppable.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LC_MESSAGES: 'C',
        ...(process.env.TZ !== undefined && { TZ: process.env.TZ }),
      },
      ...postgresUser(),
    });
    child.once('exit', (code, signal) => (exited = `it exited (${signal ?? `code ${code}`})`));
    child.once('error', (error) => (exited = error.message));
    child.unref();
    for (;;) {
      if (exited !== undefined) break;
      const server = await runningServer(dataDir);
      if (server && server.pid === child.pid && server.status === 'ready') return server;
      if (Date.now() > deadline) {
        child.kill('SIGINT');
        exited = 'it was not ready in time';
        break;
      }
      await sleep(POLL_MS);
    }
  } finally {
    closeSync(log);
  }
  throw new Error(`The embedded PostgreSQL in ${dataDir} did not start: ${(await tail(logFile, 5)) || exited}`);
}

/**
 * Asks the server running on `dataDir` for a fast shutdown (sessions ended, a checkpoint, then
 * exit) and waits until it is gone. The server of the moment: it may have been restarted since
 * whoever stops it first met it.
 */
export async function stopServer(dataDir: string, deadline: number): Promise<void> {
  const server = await runningServer(dataDir);
  if (!server) return;
  try {
    process.kill(server.pid, 'SIGINT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw error;
  }
  if (!(await serverGone(dataDir, deadline)))
    throw new Error(`The embedded PostgreSQL in ${dataDir} (pid ${server.pid}) did not stop`);
}
