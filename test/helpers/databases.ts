import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { exitOnInterrupt } from '../../src/bin/cli.ts';
import { createAppDatabase, migrateAppDatabase } from '../../src/db/app-database.ts';
import { useEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { dropDatabase, ensureDatabase } from '../../src/db/ensure-database.ts';
import { installMessageDb } from '../../src/db/install-message-db.ts';
import { buildTraceIndexInBackground } from '../../src/db/install-trace-index.ts';
import { createLogger } from '../../src/logger.ts';
import { TEST_SERVER_SETTINGS } from './test-server-settings.ts';

/**
 * Every test run gets its own databases on the server named by TEST_DATABASE_URL, or on an
 * embedded PostgreSQL in a temporary directory when it is unset; development data is never
 * touched. Message DB and the migrations go into two templates once per run, and each call to
 * freshDatabases() clones them (fast), so tests never share a projection row by accident.
 * A database made while a test runs is dropped when that test ends (WITH (FORCE), in the
 * background while the next test starts) unless the test failed; the templates, a failed test's
 * databases, and anything made outside a test are dropped when tape finishes, after the drops
 * still under way.
 */

export const silentLogger = createLogger('silent');
const runId = `vt_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
/** Databases to drop when the run finishes: any made outside a test, and a pair no test took. */
const created: string[] = [];
/** Dropped last, once nothing can be cloned from them. */
const templateNames: string[] = [];
let counter = 0;

interface Server {
  url(database: string): string;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  // npm run test:unit promises a run with no PostgreSQL: a *.unit.test.ts that needs one is in the wrong tier.
  if (process.env.VT_UNIT_TIER === '1')
    throw new Error(
      'a test in the unit tier (npm run test:unit) asked for PostgreSQL: name it *.test.ts, not *.unit.test.ts, or give it the in-memory store (test/helpers/memory-message-store.ts)',
    );
  const configured = process.env.TEST_DATABASE_URL;
  if (configured) {
    return {
      url(database) {
        const url = new URL(configured);
        url.pathname = `/${database}`;
        return url.toString();
      },
      close: async () => undefined,
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-test-pg-'));
  // The server runs in a process group of its own: Ctrl-C on the run ends through process.exit,
  // so the run's exit hook still gets it stopped (embedded-postgres.ts).
  exitOnInterrupt();
  const embedded: EmbeddedPostgres = await useEmbeddedPostgres({
    dir: path.join(dir, 'data'),
    port: 0,
    logger: silentLogger,
    settings: TEST_SERVER_SETTINGS,
  });
  return {
    url: (database) => embedded.url(database),
    async close() {
      await embedded.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// The top-level test running now, and the databases it made. Tape runs top-level tests one at a
// time; its harness announces each one (the `_push` event its own object stream listens to).
let madeByCurrentTest: string[] | undefined;
const drops: Promise<void>[] = [];

interface TapeHarnessInternals {
  readonly _results?: { on(event: '_push', listener: (t: EventEmitter & { readonly _ok?: boolean }) => void): void };
}

function dropAll(names: readonly string[]): Promise<void> {
  return (async () => {
    const { url } = await testServer();
    for (const name of names) {
      await dropDatabase(url(name)).catch((error: unknown) =>
        console.error(`could not drop ${name}: ${String(error)}`),
      );
    }
  })();
}

// Without the hook (a tape that no longer has it) every database waits for the final sweep: slower, never wrong.
(test.getHarness() as unknown as TapeHarnessInternals)._results?.on('_push', (t) => {
  const made: string[] = [];
  t.once('prerun', () => (madeByCurrentTest = made));
  t.once('end', () => {
    if (madeByCurrentTest === made) madeByCurrentTest = undefined;
    // A failed test (a timeout among them) may still be running against its databases: dropping
    // them under it would bury its failure in connection errors, so they wait for the final sweep.
    if (t._ok === false) created.push(...made.splice(0));
    else if (made.length > 0) drops.push(dropAll(made.splice(0).reverse()));
  });
});

/** Drops `name` when the test running now ends (or with the templates, outside a test). */
function dropLater(name: string): void {
  (madeByCurrentTest ?? created).push(name);
}

let server: Promise<Server> | undefined;
let templates: Promise<{ messageStore: string; app: string }> | undefined;

export function testServer(): Promise<Server> {
  server ??= startServer();
  return server;
}

async function createTemplates(): Promise<{ messageStore: string; app: string }> {
  const { url } = await testServer();
  const messageStore = `${runId}_tpl_ms`;
  const app = `${runId}_tpl_app`;
  templateNames.push(messageStore, app);
  await ensureDatabase(url(messageStore), silentLogger);
  await ensureDatabase(url(app), silentLogger);
  await installMessageDb(url(messageStore), silentLogger);
  // What a running app adds: every clone has the trace-id index, as a store the app has run on.
  await buildTraceIndexInBackground(url(messageStore), silentLogger).done;
  const db = createAppDatabase(url(app), { poolMax: 1 });
  try {
    await migrateAppDatabase(db);
  } finally {
    await db.destroy();
  }
  return { messageStore, app };
}

interface Pair {
  readonly names: readonly [string, string];
  readonly urls: DatabaseUrls;
}

// Until a test takes it, a pair is the run's to drop (the final sweep).
async function clonePair(): Promise<Pair> {
  const { url } = await testServer();
  templates ??= createTemplates();
  const template = await templates;
  counter += 1;
  const messageStore = `${runId}_${counter}_ms`;
  const app = `${runId}_${counter}_app`;
  created.push(messageStore, app);
  await Promise.all([
    ensureDatabase(url(messageStore), silentLogger, template.messageStore),
    ensureDatabase(url(app), silentLogger, template.app),
  ]);
  return { names: [messageStore, app], urls: { messageStoreUrl: url(messageStore), databaseUrl: url(app) } };
}

// The next pair, cloned while the test that took the last one runs: most tests find theirs ready.
let nextPair: Promise<Pair> | undefined;

/** A new, empty pair of databases: Message DB installed, projections migrated. */
export async function freshDatabases(): Promise<DatabaseUrls> {
  const ready = nextPair ?? clonePair();
  nextPair = undefined;
  // A clone that failed in the background is tried again here, where its error can be seen.
  const { names, urls } = await ready.catch(() => clonePair());
  nextPair = clonePair();
  nextPair.catch(() => undefined);
  for (const name of names) {
    const index = created.indexOf(name);
    if (index >= 0) created.splice(index, 1);
    dropLater(name);
  }
  return urls;
}

/** A name on the test server for a database the test creates itself (it is dropped when the test ends). */
export async function scratchDatabaseUrl(label: string): Promise<string> {
  const { url } = await testServer();
  counter += 1;
  const name = `${runId}_${counter}_${label}`;
  dropLater(name);
  return url(name);
}

const SWEEP_CONCURRENCY = 8;

// Once every test has ended, nothing of ours should keep the process alive for long.
const EXIT_GRACE_MS = 15_000;

/** Names what still holds the event loop open, then exits with failure: a hung run must end and say why. */
function exitIfStillRunning(): void {
  setTimeout(() => {
    console.error(
      `# the test process is still running ${EXIT_GRACE_MS} ms after the last test; open handles: ${process.getActiveResourcesInfo().join(', ')}`,
    );
    process.exit(1);
  }, EXIT_GRACE_MS).unref();
}

test.onFinish(() => {
  if (!server) return exitIfStillRunning();
  void (async () => {
    // A server that never started (refused in the unit tier, or unreachable) has nothing to drop.
    const started = await testServer().catch(() => undefined);
    if (!started) return exitIfStillRunning();
    const { close } = started;
    await Promise.all([...drops, nextPair?.catch(() => undefined)]);
    // What a test that never ended made, the pair cloned for a test that never came, and anything
    // made outside a test. Side by side: a drop (PostgreSQL 15) mostly waits for a checkpoint,
    // which drops under way together share.
    const rest = [...(madeByCurrentTest ?? []), ...created.reverse()];
    await Promise.all(
      Array.from({ length: SWEEP_CONCURRENCY }, (_, lane) =>
        dropAll(rest.filter((_name, index) => index % SWEEP_CONCURRENCY === lane)),
      ),
    );
    await dropAll(templateNames);
    await close();
    exitIfStillRunning();
  })();
});
