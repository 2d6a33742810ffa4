// npm run bench:seed-catalog -- [--profile 100k|10m] [--videos 100000] [--creators 1000] [--viewings 2000000]
//                               [--playback 300000] [--logins 0] [--renames 0] [--seed 19] [--batch 1000] [--writers 3] [--no-catch-up] [--json <file>]
// npm run bench:seed-catalog -- --drop <name>   (or --drop-all)
//
// A big catalog for benchmarks (never for npm start): creators, published videos, viewings and
// the logged-in viewers' playback reports (--playback 0 for none), and the creators' log-ins and
// renames, written through Message DB
// into a fresh pair of databases on the server BENCH_DATABASE_URL names (the role must be
// allowed to create databases), then the real system started on them until every subscriber
// has caught up, each one's time printed. The databases are left for later measurements, their
// URLs printed; --drop <name> or --drop-all removes them. --profile picks the sizes (100k, the
// default: issue 19's catalog; 10m: issue 20's store of about ten million messages); a size
// given on its own overrides the profile's.
// docs/benchmarks.md says what is written and what the store's clock makes of the 30 days.
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { prepareDatabases } from '../../src/db/prepare-databases.ts';
import { dropDatabase } from '../../src/db/ensure-database.ts';
import { createLogger } from '../../src/logger.ts';
import {
  catchUpFromZero,
  catchUpTable,
  headAt,
  logCatchUpProgress,
  perSecond as rate,
  seconds,
  type CatchUpResult,
} from './catch-up.ts';
import { PROFILES, planCatalog, SIMULATED_DAYS, type CatalogSizes } from './generate.ts';
import { BENCH_CREATOR_PASSWORD, seedCatalog, type WriteProgress } from './write.ts';

const PREFIX = 'vt_catalog_';
const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = createLogger(process.env.LOG_LEVEL === undefined ? 'silent' : (process.env.LOG_LEVEL as 'info'));

function serverUrl(): URL {
  const server = process.env.BENCH_DATABASE_URL;
  if (!server)
    throw new Error(
      'set BENCH_DATABASE_URL to a PostgreSQL server where the role may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres',
    );
  return new URL(server);
}

function databaseUrl(server: URL, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

const whole = (name: string, value: string | undefined, fallback: number, least = 1): number => {
  const parsed = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(parsed) || parsed < least)
    throw new Error(`--${name} takes a whole number of at least ${least}, not ${value}`);
  return parsed;
};

/** A line at most every few seconds (and at each phase's end), on a terminal or in a log alike. */
function writeProgress(): (progress: WriteProgress) => void {
  let last = 0;
  return ({ phase, written, total }) => {
    const now = performance.now();
    if (written < total && now - last < 3_000) return;
    last = now;
    log(`  ${phase}: ${written.toLocaleString('en')} / ${total.toLocaleString('en')} messages`);
  };
}

async function dropCatalogs(server: URL, name: string | undefined): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl(server, 'postgres') });
  await admin.connect();
  let names: string[];
  try {
    const result = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname`,
      [`${PREFIX}%`],
    );
    names = result.rows
      .map((row) => row.datname)
      .filter((datname) => name === undefined || datname === `${name}_ms` || datname === `${name}_app`);
  } finally {
    await admin.end();
  }
  if (names.length === 0)
    throw new Error(
      name === undefined ? `no ${PREFIX}… databases on this server` : `no databases of a catalog named ${name}`,
    );
  for (const datname of names) {
    await dropDatabase(databaseUrl(server, datname));
    log(`dropped ${datname}`);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      videos: { type: 'string' },
      creators: { type: 'string' },
      viewings: { type: 'string' },
      playback: { type: 'string' },
      logins: { type: 'string' },
      renames: { type: 'string' },
      profile: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      writers: { type: 'string' },
      'no-catch-up': { type: 'boolean' },
      json: { type: 'string' },
      drop: { type: 'string' },
      'drop-all': { type: 'boolean' },
    },
    strict: true,
  });
  const server = serverUrl();
  if (values.drop !== undefined || values['drop-all']) return dropCatalogs(server, values.drop);

  const profileName = values.profile ?? '100k';
  const profile = Object.hasOwn(PROFILES, profileName) ? PROFILES[profileName] : undefined;
  if (profile === undefined)
    throw new Error(`--profile takes ${Object.keys(PROFILES).join(' or ')}, not ${values.profile}`);
  const sizes: CatalogSizes = {
    videos: whole('videos', values.videos, profile.videos),
    creators: whole('creators', values.creators, profile.creators),
    viewings: whole('viewings', values.viewings, profile.viewings, 0),
    playback: whole('playback', values.playback, profile.playback, 0),
    logins: whole('logins', values.logins, profile.logins, 0),
    renames: whole('renames', values.renames, profile.renames, 0),
  };
  const seed = values.seed ?? '19';
  const batchSize = whole('batch', values.batch, 1_000);
  const writers = whole('writers', values.writers, 3);
  const name = `${PREFIX}${sizes.videos}v_${Date.now().toString(36)}`;
  const urls = { messageStoreUrl: databaseUrl(server, `${name}_ms`), databaseUrl: databaseUrl(server, `${name}_app`) };

  log(
    `catalog ${name}: ${sizes.creators.toLocaleString('en')} creators, ${sizes.videos.toLocaleString('en')} videos, ${sizes.viewings.toLocaleString('en')} viewings, ${sizes.playback.toLocaleString('en')} playback reports, ${sizes.logins.toLocaleString('en')} log-ins, ${sizes.renames.toLocaleString('en')} renames, seed ${seed}`,
  );
  const plan = planCatalog(seed, sizes);
  log(
    `  videos by fate: ${Object.entries(plan.fates)
      .map(([fate, count]) => `${fate} ${count}`)
      .join(', ')}`,
  );
  await prepareDatabases(urls, logger);

  log(`writing (${writers} writers, ${batchSize} messages a statement)`);
  const phases = await seedCatalog(plan, { urls, logger, batchSize, writers, onProgress: writeProgress() });
  for (const { phase, messages, ms } of phases)
    log(`  ${phase}: ${messages.toLocaleString('en')} messages in ${seconds(ms)} (${rate(messages, ms)})`);
  const written = phases.reduce((sum, phase) => sum + phase.messages, 0);
  const writeMs = phases.reduce((sum, phase) => sum + phase.ms, 0);
  log(`  all: ${written.toLocaleString('en')} messages in ${seconds(writeMs)} (${rate(written, writeMs)})`);

  // Where the seed's messages end: what the system writes as it catches up lies above it.
  const seededHead = await headAt(urls.messageStoreUrl);
  let result: CatchUpResult | undefined;
  if (!values['no-catch-up']) {
    log('starting the system: every subscriber from position 0');
    result = await catchUpFromZero({ urls, logger, onProgress: logCatchUpProgress(log) });
    for (const line of catchUpTable(result)) log(line);
  }

  if (values.json !== undefined) {
    // Figures for the notes, with the URLs: a later measurement can start from this file.
    const figures = {
      name,
      seed,
      sizes,
      fates: plan.fates,
      urls,
      writers,
      batchSize,
      write: phases,
      seededHead,
      catchUp: result,
    };
    await writeFile(values.json, `${JSON.stringify(figures, null, 2)}\n`);
    log(`figures written to ${values.json}`);
  }

  // The answer, on stdout: where the catalog is.
  process.stdout.write(
    [
      `Catalog ${name} (seed ${seed}); its creators log in as creator-<n>@bench.video-tutorials.localhost with ${BENCH_CREATOR_PASSWORD}.`,
      `Viewings were written in ${SIMULATED_DAYS} simulated days, oldest first, but all carry the time they were written.`,
      `DATABASE_URL=${urls.databaseUrl}`,
      `MESSAGE_STORE_URL=${urls.messageStoreUrl}`,
      `Drop it with: npm run bench:seed-catalog -- --drop ${name}`,
      '',
    ].join('\n'),
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench:seed-catalog: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
