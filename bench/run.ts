// npm run bench: speed figures for this machine, on throwaway databases.
// BENCH_DATABASE_URL names a server (any database on it) where the role may create databases;
// unset, an embedded PostgreSQL in a temporary directory is used. Nothing here asserts a time.
// BENCH_TARGET_URL (with BENCH_TARGET_MESSAGE_STORE_URL) adds another implementation of the site
// to the site suite, measured side by side with ours; docs/benchmarks.md lists every setting.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchDatabaseUrls } from './bench-databases.ts';
import { exitOnInterrupt } from '../src/bin/cli.ts';
import { useEmbeddedPostgres } from '../src/db/embedded-postgres.ts';
import { dropDatabase, ensureDatabase } from '../src/db/ensure-database.ts';
import { installMessageDb } from '../src/db/install-message-db.ts';
import { createLogger } from '../src/logger.ts';
import { watchedCountOf } from '../test/helpers/http.ts';
import { otherSettingsFigures, soakFigures } from './app-extras.ts';
import { buildApp, startApp } from './app-process.ts';
import { engineFigures } from './engine-figures.ts';
import { profiledGet } from './profiled-get.ts';
import type { FigureRow } from './site/figures.ts';
import { openViewingStore } from './site/message-store.ts';
import { postLoad } from './site/post-load.ts';
import { siteSuite } from './site/suite.ts';
import { siteTable } from './site/table.ts';
import { targetFromEnv, type Target } from './site/target.ts';
import { returningVisitor } from './site/visitor.ts';
import { userFigures } from './users.ts';
import { adminPageFigures } from './admin-pages.ts';
import { formatBurst, viewingBurst } from './viewing-burst.ts';
import { publishBenchVideo } from './published-video.ts';

const logger = createLogger('silent');
const env = process.env;
const LOAD_SECONDS = Number(env.BENCH_LOAD_SECONDS ?? 10);
const LAG_SAMPLES = Number(env.BENCH_LAG_SAMPLES ?? 500);
const CATCH_UP_EVENTS = Number(env.BENCH_EVENTS ?? 20_000);
const BIG_CATCH_UP_EVENTS = Number(env.BENCH_BIG_EVENTS ?? 200_000);
const IDLE_SAMPLE_MS = 20_000;
/** Lets the site suite read our subscribers' positions (GET /status), to time a catch-up to every one of them. */
const OUR_STATUS_TOKEN = 'bench-site-status';
const ONLY = env.BENCH_ONLY;
if (ONLY !== undefined && !['site', 'engine', 'admin', 'viewings'].includes(ONLY))
  throw new Error(`BENCH_ONLY must be site, engine, admin or viewings, not ${ONLY}`);
// The admin pages on a big store: a million messages take minutes to write and project, so they
// run with BENCH_ONLY=admin, or in a full run when BENCH_ADMIN_MESSAGES is set.
const ADMIN_MESSAGES = Number(env.BENCH_ADMIN_MESSAGES ?? (ONLY === 'admin' ? 1_000_000 : 0));
const PROFILE_DIR = env.BENCH_CPU_PROFILE;
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

interface SiteReport {
  readonly targets: readonly { name: string; url: string; pid?: number }[];
  readonly rounds: number;
  readonly loadSeconds: number;
  readonly figures: readonly FigureRow[];
  readonly notes: readonly string[];
}

function printSite(site: SiteReport): void {
  console.log(`\nsite suite (median of ${site.rounds} rounds for the GET and POST loads of ${site.loadSeconds} s):`);
  console.log(
    siteTable(
      site.targets.map(({ name }) => name),
      site.figures,
    ),
  );
  for (const note of site.notes) console.log(`note: ${note}`);
}

async function main(): Promise<void> {
  const theirs = targetFromEnv(env); // a bad setting should fail before minutes of work
  const configured = env.BENCH_DATABASE_URL;
  const tmp = configured ? undefined : await mkdtemp(path.join(os.tmpdir(), 'vt-bench-'));
  // Ctrl-C ends through process.exit, so the embedded server (in a process group of its own) is stopped after us.
  if (tmp) exitOnInterrupt();
  const embedded = tmp ? await useEmbeddedPostgres({ dir: path.join(tmp, 'data'), port: 0, logger }) : undefined;
  const urls = benchDatabaseUrls(configured, embedded);
  await ensureDatabase(urls.messageStoreUrl, logger);
  await ensureDatabase(urls.databaseUrl, logger);
  await installMessageDb(urls.messageStoreUrl, logger);
  const results: Record<string, string> = { server: embedded ? 'embedded PostgreSQL 16' : 'BENCH_DATABASE_URL' };
  let site: SiteReport | undefined;
  let profile: { file: string; text: string } | undefined;
  const extras = {
    soakSeconds: Number(env.BENCH_SOAK_SECONDS ?? 300),
    loadSeconds: LOAD_SECONDS,
    idleMs: IDLE_SAMPLE_MS,
  };
  try {
    if (ONLY === 'admin' || (ONLY === undefined && ADMIN_MESSAGES > 0)) {
      buildApp();
      await adminPageFigures(urls, ADMIN_MESSAGES, results, log);
    }
    if (ONLY === 'viewings' || ONLY === undefined) {
      buildApp();
      const app = await startApp(urls);
      const store = openViewingStore(urls.messageStoreUrl);
      try {
        log('viewings: one visitor bursting from one address');
        results['viewings from one address, 10 connections'] = formatBurst(
          await viewingBurst(app.url, urls, { seconds: LOAD_SECONDS, connections: 10 }),
        );
        log('viewings: many visitors, an address each');
        const ours: Target = {
          name: 'ours',
          url: app.url,
          messageStoreUrl: urls.messageStoreUrl,
          pid: app.child.pid!,
          countOf: watchedCountOf,
        };
        const load = await postLoad(ours, store, await returningVisitor(ours), 10, LOAD_SECONDS);
        results['viewings from many visitors, 10 connections'] =
          `${Math.round(load.postsPerSecond)} posts/s, p99 ${load.p99Ms} ms, ${load.failed} failed; written ${Math.round(load.writtenPerSecond)}/s, ` +
          `counted ${Math.round(load.countedPerSecond)}/s; caught up ${Math.round(load.caughtUpMs)} ms after the load`;
      } finally {
        await store.close();
        await app.stop();
      }
    }
    if (ONLY !== 'site' && ONLY !== 'admin' && ONLY !== 'viewings') {
      log('engine figures');
      await engineFigures(
        urls,
        logger,
        {
          catchUpEvents: CATCH_UP_EVENTS,
          bigCatchUpEvents: BIG_CATCH_UP_EVENTS,
          writes: Number(env.BENCH_WRITES ?? 2_000),
          batchSize: Number(env.BENCH_BATCH ?? 100),
          writesEach: Number(env.BENCH_CONCURRENT_WRITES ?? 1000),
          rounds: Number(env.BENCH_ROUNDS ?? 5),
          lagSamples: LAG_SAMPLES,
        },
        results,
      );
    }
    if (ONLY !== 'engine' && ONLY !== 'admin' && ONLY !== 'viewings') {
      // The real app, compiled as production runs it, through the same suite as any other site.
      buildApp();
      // Registrations in the users figures all come from one address: lift that limit. Viewings
      // come from many simulated visitors, each at its own address behind the trusted proxy
      // (bench/site/visitor.ts), so their protections stay on as in production.
      const app = await startApp(urls, {
        env: { REGISTRATIONS_PER_ADDRESS: '1000000', STATUS_TOKEN: OUR_STATUS_TOKEN },
      });
      try {
        // Viewings are of published videos only: ours gets one to be watched.
        const videoId = await publishBenchVideo(app.url, urls.messageStoreUrl);
        await new Promise((resolve) => setTimeout(resolve, 3_000)); // past start-up work
        const ours: Target = {
          name: 'ours',
          url: app.url,
          messageStoreUrl: urls.messageStoreUrl,
          pid: app.child.pid!,
          countOf: watchedCountOf,
          statusToken: OUR_STATUS_TOKEN,
        };
        const targets = theirs ? [ours, theirs] : [ours];
        const rounds = Number(env.BENCH_SITE_ROUNDS ?? 3);
        const figures = await siteSuite(targets, {
          loadSeconds: LOAD_SECONDS,
          rounds,
          catchUps: [CATCH_UP_EVENTS, BIG_CATCH_UP_EVENTS],
          lagSamples: LAG_SAMPLES,
          backlog: BIG_CATCH_UP_EVENTS,
          idleMs: IDLE_SAMPLE_MS,
          log,
        });
        site = {
          targets: targets.map(({ name, url: address, pid }) => ({
            name,
            url: address,
            ...(pid === undefined ? {} : { pid }),
          })),
          rounds,
          loadSeconds: LOAD_SECONDS,
          figures: figures.rows(),
          notes: figures.notes,
        };
        // Now, not at the end: what follows may fail, and these took the longest to measure.
        printSite(site);
        log('users: register → log in');
        await userFigures(app.url, urls.databaseUrl, Number(env.BENCH_USERS ?? 20), results);
        if (ONLY !== 'site') await soakFigures(app, videoId, extras, results);
      } finally {
        await app.stop();
      }
      if (ONLY !== 'site') await otherSettingsFigures(urls, extras, results);
      if (PROFILE_DIR) {
        log(`GET load under node --cpu-prof, profile in ${PROFILE_DIR}`);
        const profiled = await profiledGet(urls, PROFILE_DIR, 10, LOAD_SECONDS);
        const { requestsPerSecond, cpuMsPerRequest } = profiled.load;
        results['GET /, 10 connections, under --cpu-prof'] =
          `${Math.round(requestsPerSecond)} req/s, app CPU ${cpuMsPerRequest?.toFixed(2)} ms/request (profiler included)`;
        profile = { file: profiled.file, text: profiled.text };
      }
    }
    results['bench process RSS at end'] = `${Math.round(process.memoryUsage().rss / 1e6)} MB`;
  } finally {
    await dropDatabase(urls.messageStoreUrl);
    await dropDatabase(urls.databaseUrl);
    await embedded?.release();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  for (const [name, value] of Object.entries(results)) console.log(`${name.padEnd(58)} ${value}`);
  if (profile) console.log(`\nCPU profile of GET / under load (${profile.file}):\n${profile.text}`);
  // The same figures for machines: BENCH_JSON names the file (default bench-results.json, not committed).
  const file = env.BENCH_JSON ?? 'bench-results.json';
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  await writeFile(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), machine, results, site, profile }, null, 2)}\n`,
  );
  console.log(`written to ${file}`);
}

await main();
