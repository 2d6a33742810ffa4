// npm run bench:catalog -- (--json <seed's figures file> | --database-url <app> --message-store-url <store>)
//                          [--seconds 10] [--connections 10] [--creator 1] [--explain <file>] [--no-build]
//                          [--only <a word of the page's label>]... [--profile <folder>]
//
// Measures pages on a catalog `npm run bench:seed-catalog` left behind (issue 19's "fast on a big
// catalog"): starts the app as users run it (compiled, every subscriber) on those databases, logs
// a seeded creator in, reports a few playback positions through POST /playback (so Continue
// watching and Resume have rows), then loads each page with autocannon and prints p50/p99 and
// req/s. Also writes EXPLAIN (ANALYZE, BUFFERS) of the queries that matter, captured from the
// app's own query functions (src/), so the plans are of the SQL the pages run. Also the busiest
// channel and the admin pages of issue 20 §3, for which the viewer is made an admin (npm run
// admin -- grant; it stays one). Read-only on the catalog, apart from that grant and the
// viewer's log-in and playback events (as a real viewer would leave). With --profile, the app
// runs under `node --cpu-prof` and each page's load gets a summary of where the app's CPU went.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import knex, { type Knex } from 'knex';
import pg from 'pg';
import { createPlaybackQueries } from '../../src/app/playback/queries.ts';
import { mostWatchedPage } from '../../src/app/home/popular.ts';
import { createSearchQueries } from '../../src/app/search/queries.ts';
import { upNext } from '../../src/app/videos/up-next.ts';
import { SESSION_OPTIONS } from '../../src/config/defaults.ts';
import { createLogger } from '../../src/logger.ts';
import { storeHead } from '../../src/message-queries/counts.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { buildApp, cpuMsOf, startApp } from '../app-process.ts';
import { formatProfileSummary, readProfile, summariseProfile, type ProfileWindow } from '../cpu-profile.ts';
import { CookieJar } from '../site/cookie-jar.ts';
import { anotherVisitor, VIA_PROXY } from '../site/visitor.ts';
import { BENCH_CREATOR_PASSWORD } from './write.ts';
import { CATALOG_OPTIONS, catalogUrls } from './catalog-urls.ts';
import { grantAdmin } from './grant-admin.ts';
import { PAGE_GOAL, type Page } from './page.ts';
import { storePages, traceIndexReady } from './store-pages.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Figure {
  readonly page: Page;
  /** When the load ran, on the clock of a CPU profile (process.hrtime, microseconds). */
  readonly window: ProfileWindow;
  readonly p50: number;
  readonly p99: number;
  readonly requestsPerSecond: number;
  readonly requests: number;
  readonly failed: number;
  readonly cpuMsPerRequest: number;
}

const SEARCH_GOAL = { p50: 20, p99: 100 };

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** A seeded creator's session: log-in form, CSRF token and cookie, as a browser holds them. */
async function logIn(base: string, email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const form = await fetch(`${base}/auth/log-in`, { headers: VIA_PROXY });
  jar.take(form.headers.getSetCookie());
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!token) throw new Error('no CSRF token on the log-in form');
  const posted = await fetch(`${base}/auth/log-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      ...VIA_PROXY,
      origin: base,
      cookie: jar.header() ?? '',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: token, email, password: BENCH_CREATOR_PASSWORD }).toString(),
  });
  await posted.arrayBuffer();
  if (posted.status !== 303) throw new Error(`log-in of ${email} answered ${posted.status}`);
  jar.take(posted.headers.getSetCookie());
  return jar;
}

/** Where the viewer stopped: through the watch page's CSRF token and POST /playback, as public/js/playback.js reports it. */
async function reportPlayback(
  base: string,
  jar: CookieJar,
  videoId: string,
  positionSeconds: number,
  durationSeconds: number,
): Promise<void> {
  const page = await fetch(`${base}/videos/${videoId}`, { headers: { ...VIA_PROXY, cookie: jar.header() ?? '' } });
  jar.take(page.headers.getSetCookie());
  const token = /data-csrf="([^"]+)"/.exec(await page.text())?.[1];
  if (!token) throw new Error(`no playback CSRF token on /videos/${videoId} (is the viewer logged in?)`);
  const posted = await fetch(`${base}/playback/${videoId}`, {
    method: 'POST',
    headers: {
      ...VIA_PROXY,
      origin: base,
      cookie: jar.header() ?? '',
      'x-csrf-token': token,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      positionSeconds: String(positionSeconds),
      durationSeconds: String(durationSeconds),
    }).toString(),
  });
  await posted.arrayBuffer();
  if (posted.status !== 204) throw new Error(`POST /playback/${videoId} answered ${posted.status}`);
}

const STATUS_TOKEN = 'bench-catalog-status';

/** Waits until every subscriber of the app has read to the store's head (GET /status): pages are measured on caught-up projections. */
async function caughtUp(base: string, ms = 2 * 60 * 60_000): Promise<number> {
  const end = Date.now() + ms;
  let shown = 0;
  for (;;) {
    const answer = await fetch(`${base}/status`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    const { subscribers } = (await answer.json()) as {
      subscribers: Array<{
        subscriberId: string;
        state: string;
        caughtUp: boolean;
        waitingAtGap: boolean;
        position: number;
      }>;
    };
    const stalled = subscribers.filter((s) => s.state === 'stalled');
    if (stalled.length > 0) throw new Error(`stalled: ${stalled.map((s) => s.subscriberId).join(', ')}`);
    const behind = subscribers.filter((s) => !(s.state === 'running' && s.caughtUp && !s.waitingAtGap));
    if (subscribers.length > 0 && behind.length === 0) return subscribers.length;
    if (Date.now() > end) throw new Error(`not caught up: ${behind.map((s) => s.subscriberId).join(', ')}`);
    if (Date.now() - shown > 10_000) {
      shown = Date.now();
      log(
        `  catching up: ${behind.length} of ${subscribers.length} subscribers behind (${behind.map((s) => `${s.subscriberId} at ${s.position}`).join(', ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One page at `connections` for `seconds`; every request from another address (the search limit is per address, as for real visitors). */
async function load(
  base: string,
  page: Page,
  cookie: string | undefined,
  connections: number,
  seconds: number,
  pid: number,
): Promise<Figure> {
  const cpuBefore = await cpuMsOf(pid);
  const fromUs = nowUs();
  let next = -1;
  const result = await autocannon({
    url: `${base}${page.path}`,
    connections,
    duration: seconds,
    headers: { ...VIA_PROXY, ...(cookie ? { cookie } : {}) },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          ...(page.inTurn && { path: page.inTurn[(next = (next + 1) % page.inTurn.length)] }),
          headers: { ...request.headers, ...anotherVisitor() },
        }),
      },
    ],
  });
  const toUs = nowUs();
  const cpu = (await cpuMsOf(pid)) - cpuBefore;
  return {
    page,
    window: { fromUs, toUs },
    p50: result.latency.p50,
    p99: result.latency.p99,
    requestsPerSecond: result.requests.average,
    requests: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: result.requests.total === 0 ? Number.NaN : cpu / result.requests.total,
  };
}

interface Captured {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

/** The statements `run` sends, as the app's own query functions write them (transactions' SET/BEGIN/COMMIT left out). */
async function capture(db: Knex, run: () => Promise<unknown>): Promise<Captured[]> {
  const seen: Captured[] = [];
  const listener = (query: { sql: string; bindings?: readonly unknown[] }) => {
    if (/^\s*(BEGIN|COMMIT|ROLLBACK|SET\b)/i.test(query.sql)) return;
    seen.push({ sql: query.sql, bindings: query.bindings ?? [] });
  };
  db.on('query', listener);
  try {
    await run();
  } finally {
    db.removeListener('query', listener);
  }
  return seen;
}

/** The plan of one captured statement: knex hands on `?` placeholders inside a transaction and `$n` outside one. */
async function explain(db: Knex, pool: pg.Pool, { sql, bindings }: Captured): Promise<string> {
  const rows = /\$\d/.test(sql)
    ? (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, [...bindings])).rows
    : (
        await db.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(
          `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
          bindings as Knex.RawBinding[],
        )
      ).rows;
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 1 : 0) : '–');

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...CATALOG_OPTIONS,
      seconds: { type: 'string' },
      connections: { type: 'string' },
      creator: { type: 'string' },
      explain: { type: 'string' },
      'no-build': { type: 'boolean' },
      'no-vacuum': { type: 'boolean' },
      // Only the pages whose label holds one of these words (e.g. --only watch --only misspelled).
      only: { type: 'string', multiple: true },
      profile: { type: 'string' },
    },
    strict: true,
  });
  const urls = await catalogUrls(values);
  const seconds = Number(values.seconds ?? 10);
  const connections = Number(values.connections ?? 10);
  const email = `creator-${values.creator ?? '1'}@bench.video-tutorials.localhost`;
  const explainFile = values.explain ?? `${os.tmpdir()}/vt-bench-catalog-explain-${urls.name}.txt`;

  // The app's session settings (no JIT), so the plans written are the ones the app gets.
  const db = knex({
    client: 'pg',
    connection: { connectionString: urls.databaseUrl, options: SESSION_OPTIONS },
    pool: { min: 0, max: 2 },
  });
  try {
    if (!values['no-build']) {
      log('building the app (npm run build)');
      buildApp();
    }
    const load1 = os.loadavg();
    log(`starting the app on ${urls.name}`);
    const started = Date.now();
    const profileDir = values.profile && path.resolve(values.profile);
    if (profileDir) await mkdir(profileDir, { recursive: true });
    const app = await startApp(urls, {
      env: { STATUS_TOKEN },
      ...(profileDir && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] }),
    });
    const figures: Figure[] = [];
    try {
      const base = app.url;
      const subscribers = await caughtUp(base);
      const catchUpSeconds = (Date.now() - started) / 1000;
      log(`every subscriber (${subscribers}) caught up ${catchUpSeconds.toFixed(1)} s after the start`);
      // As autovacuum would have once the read models are written (this server may run without it: then no table has statistics
      // and every plan is a guess from defaults). VACUUM too, for index-only scans' visibility map.
      const vacuumed = !values['no-vacuum'];
      if (vacuumed) {
        const began = Date.now();
        await db.raw('VACUUM (ANALYZE)');
        log(`VACUUM (ANALYZE) of the app database in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      }
      const autovacuum = (await db.raw<{ rows: Array<{ autovacuum: string }> }>('SHOW autovacuum')).rows[0]?.autovacuum;

      // The catalog as it stands: what is listed, and the videos the watch pages measure.
      const listedWhere = "status = 'published' AND visibility = 'public' AND published_at IS NOT NULL";
      const [{ listed, all }] = (
        await db.raw<{ rows: Array<{ listed: string; all: string }> }>(
          `SELECT count(*) FILTER (WHERE ${listedWhere}) AS listed, count(*) AS all FROM videos`,
        )
      ).rows as [{ listed: string; all: string }];
      const ranked = (
        await db.raw<{ rows: Array<{ video_id: string; owner_id: string; duration_seconds: number; views: string }> }>(
          `SELECT video_id, owner_id, duration_seconds, views FROM videos WHERE ${listedWhere} AND duration_seconds > 60 ORDER BY views DESC, video_id`,
        )
      ).rows;
      const popular = ranked[0]!;
      // More than the app keeps up next for (1,000), spread over the ranking: every page a miss.
      const manyVideos = ranked
        .filter((_, index) => index % Math.max(1, Math.floor(ranked.length / 2_000)) === 0)
        .slice(0, 2_000)
        .map((video) => `/videos/${video.video_id}`);
      const median = ranked[Math.floor(ranked.length / 2)]!;
      // Searches no page cache holds: more than the app keeps pages for (500), or each asked again
      // only after a round longer than the cache keeps a page (PAGE_CACHE_MS). Built of the words
      // of the catalog's titles and creators' names (video_search_words), stop words left out (a search for "the" finds nothing, at no
      // cost): each word, then pairs of them; and each word of six letters or more misspelled,
      // its middle letter left out, then its middle two letters swapped.
      const titleWords = (
        await db.raw<{ rows: Array<{ word: string }> }>(
          `SELECT word FROM video_search_words WHERE length(to_tsvector('video_search', word)) > 0 ORDER BY videos DESC, word`,
        )
      ).rows.map((row) => row.word);
      const searchPath = (q: string) => `/search?${new URLSearchParams({ q }).toString()}`;
      const manySearches = [
        ...titleWords,
        ...titleWords.flatMap((word, index) =>
          titleWords.slice(index + 1, index + 8).map((other) => `${word} ${other}`),
        ),
      ]
        .slice(0, 2_000)
        .map(searchPath);
      const long = titleWords.filter((word) => word.length >= 6);
      const middle = (word: string) => word.length >> 1;
      const known = new Set(titleWords);
      // Each once, and never a word some title holds (a swap of a doubled letter gives the word back).
      const manyTypos = [
        ...new Set([
          ...long.map((word) => word.slice(0, middle(word)) + word.slice(middle(word) + 1)),
          ...long.map(
            (word) =>
              word.slice(0, middle(word) - 1) +
              word[middle(word)] +
              word[middle(word) - 1] +
              word.slice(middle(word) + 1),
          ),
        ]),
      ]
        .filter((typo) => !known.has(typo))
        .map(searchPath);
      const pageCacheMs = process.env.PAGE_CACHE_MS ?? '250 (the default)';
      const messages = await storeSize(urls.messageStoreUrl);

      // The viewer is an admin too, for the admin pages (issue 20 §3).
      await grantAdmin(urls, email);
      const jar = await logIn(base, email);
      log(`logged in as ${email}, an admin`);
      // Continue watching: the two measured videos (so their pages offer to resume) and a few more.
      const watched = [median, popular, ...ranked.slice(10, 14)];
      for (const video of watched)
        await reportPlayback(base, jar, video.video_id, Math.floor(video.duration_seconds / 3), video.duration_seconds);
      const cookie = jar.header()!;
      await until('Continue watching on the home page', async () => {
        const home = await fetch(`${base}/`, { headers: { ...VIA_PROXY, cookie } });
        return /Continue watching/.test(await home.text());
      });
      log(`${watched.length} playback reports shown under Continue watching`);

      const pages: Page[] = [
        {
          label: `search, common word ("python"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: '/search?q=python',
          loggedIn: false,
          shows: /<mark/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, commonest word ("tutorial", in every description), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: '/search?q=tutorial',
          loggedIn: false,
          shows: /<mark/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, rare word ("zürich"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: `/search?q=${encodeURIComponent('zürich')}`,
          loggedIn: false,
          shows: /<mark/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, misspelled ("kubernetis"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: '/search?q=kubernetis',
          loggedIn: false,
          shows: /Kubernetes/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, misspelled ("asynchronus"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: '/search?q=asynchronus',
          loggedIn: false,
          shows: /synchronous/i,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, phrase ("dependency injection"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: `/search?q=${encodeURIComponent('"dependency injection"')}`,
          loggedIn: false,
          shows: /<mark/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, minus ("python -pandas"), asked again and again${pageCacheMs === '0' ? '' : ' (the page cache serves it)'}`,
          path: `/search?q=${encodeURIComponent('python -pandas')}`,
          loggedIn: false,
          shows: /<mark/,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, ${manySearches.length} different words and pairs in turn (no cache holds any)`,
          path: manySearches[0]!,
          inTurn: manySearches,
          loggedIn: false,
          goal: SEARCH_GOAL,
        },
        {
          label: `search, ${manyTypos.length} different misspellings in turn (no cache holds any)`,
          path: manyTypos[0]!,
          inTurn: manyTypos,
          loggedIn: false,
          goal: SEARCH_GOAL,
        },
        { label: 'home, anonymous', path: '/', loggedIn: false, shows: /Newest/, goal: PAGE_GOAL },
        {
          label: 'home, logged in (Continue watching)',
          path: '/',
          loggedIn: true,
          shows: /Continue watching/,
          goal: PAGE_GOAL,
        },
        { label: '/popular', path: '/popular', loggedIn: false, shows: /video-card/, goal: PAGE_GOAL },
        { label: '/newest', path: '/newest', loggedIn: false, shows: /video-card/, goal: PAGE_GOAL },
        {
          label: `watch, most viewed (${popular.views} views), logged in`,
          path: `/videos/${popular.video_id}`,
          loggedIn: true,
          shows: /Resume at[\s\S]*Up next/,
          goal: PAGE_GOAL,
        },
        {
          label: `watch, median (${median.views} views), logged in`,
          path: `/videos/${median.video_id}`,
          loggedIn: true,
          shows: /Resume at[\s\S]*Up next/,
          goal: PAGE_GOAL,
        },
        {
          label: `watch, ${manyVideos.length} videos in turn (each page's up next read afresh), logged in`,
          path: manyVideos[0]!,
          inTurn: manyVideos,
          loggedIn: true,
          shows: /Up next/,
          goal: PAGE_GOAL,
        },
      ];
      const storePool = createMessageStorePool(urls.messageStoreUrl, { logger: createLogger('silent'), max: 1 });
      try {
        log(`the trace-id index ready (waited ${(await traceIndexReady(urls.messageStoreUrl)).toFixed(1)} s for it)`);
        pages.push(...(await storePages(db, storePool)));
      } finally {
        await storePool.end();
      }
      const only = values.only;
      const measured =
        only === undefined ? pages : pages.filter((page) => only.some((word) => page.label.includes(word)));
      if (measured.length === 0)
        throw new Error(`--only ${only?.join(', ')} names none of: ${pages.map((p) => p.label).join('; ')}`);
      for (const page of measured) {
        const answer = await fetch(`${base}${page.path}`, {
          headers: { ...VIA_PROXY, ...anotherVisitor(), ...(page.loggedIn ? { cookie } : {}) },
        });
        const html = await answer.text();
        if (answer.status !== 200 || (page.shows && !page.shows.test(html)))
          throw new Error(`${page.path} answered ${answer.status} without ${page.shows}`);
      }

      for (const page of measured) {
        log(`loading ${page.label} for ${seconds} s at ${connections} connections`);
        figures.push(await load(base, page, page.loggedIn ? cookie : undefined, connections, seconds, app.child.pid!));
      }
      const load2 = os.loadavg();

      const header = '| page | p50 ms | p99 ms | req/s | app CPU ms/req | failed | goal | met |';
      const rows = figures.map((figure) => {
        const { goal } = figure.page;
        const met = figure.p99 <= goal.p99 && (goal.p50 === undefined || figure.p50 <= goal.p50) && figure.failed === 0;
        const goalText = `${goal.p50 === undefined ? '' : `p50 ≤ ${goal.p50}, `}p99 ≤ ${goal.p99}`;
        return `| ${figure.page.label} | ${ms(figure.p50)} | ${ms(figure.p99)} | ${Math.round(figure.requestsPerSecond)} | ${ms(figure.cpuMsPerRequest)} | ${figure.failed} | ${goalText} | ${met ? 'yes' : 'no'} |`;
      });
      process.stdout.write(
        [
          `Catalog ${urls.name}: ${Number(listed).toLocaleString('en')} listed of ${Number(all).toLocaleString('en')} videos, ${messages.toLocaleString('en')} messages in the store.`,
          `App: compiled (dist/), NODE_ENV=production, PAGE_CACHE_MS=${pageCacheMs}, all ${subscribers} subscribers running and caught up before the first request (${catchUpSeconds.toFixed(0)} s after the start); viewer ${email} with ${watched.length} unfinished videos.`,
          `Database: ${(await db.raw<{ rows: Array<{ v: string }> }>("SELECT current_setting('server_version') AS v")).rows[0]?.v}, autovacuum ${autovacuum}; ${vacuumed ? 'VACUUM (ANALYZE) of the app database before starting' : 'statistics as found (--no-vacuum)'}.`,
          `Load: ${connections} connections, ${seconds} s a page (autocannon); ${os.cpus().length} cores; load average ${load1.map((l) => l.toFixed(2)).join(' ')} before, ${load2.map((l) => l.toFixed(2)).join(' ')} after.`,
          '',
          header,
          '| --- | --- | --- | --- | --- | --- | --- | --- |',
          ...rows,
          '',
        ].join('\n'),
      );

      // The plans, of the SQL the pages run, warm (each function is called once first).
      const viewerId = (
        await db('playback_positions')
          .whereIn('video_id', [median.video_id])
          .orderBy('watched_at', 'desc')
          .first<{ user_id: string }>('user_id')
      )?.user_id;
      const search = createSearchQueries(db);
      const subjects: Array<[string, () => Promise<unknown>]> = [
        ['search, common word ("python"), first page', () => search.search('python', 12)],
        ['search, commonest word ("tutorial"), first page', () => search.search('tutorial', 12)],
        ['search, misspelled ("kubernetis"), first page', () => search.search('kubernetis', 12)],
        [
          `up next for the median video (creator's others, then similarVideos)`,
          () => upNext(db, { videoId: median.video_id, ownerId: median.owner_id }),
        ],
        [
          `up next for the most viewed video`,
          () => upNext(db, { videoId: popular.video_id, ownerId: popular.owner_id }),
        ],
        ["most watched this week, the home page's 8", () => mostWatchedPage(db, 8, { now: new Date() })],
        [
          "continue watching, the viewer's 6",
          () => createPlaybackQueries(db).unfinished(viewerId ?? '00000000-0000-0000-0000-000000000000', 6),
        ],
      ];
      const pool = new pg.Pool({ connectionString: urls.databaseUrl, options: SESSION_OPTIONS, max: 1 });
      const sections: string[] = [`EXPLAIN (ANALYZE, BUFFERS) on ${urls.name}, ${new Date().toISOString()}`];
      for (const [label, run] of subjects) {
        await run();
        for (const [index, statement] of (await capture(db, run)).entries()) {
          sections.push(
            `\n=== ${label}: statement ${index + 1}\n${statement.sql.replace(/\s+/g, ' ')}\n-- bindings: ${JSON.stringify(statement.bindings)}\n\n${await explain(db, pool, statement)}`,
          );
        }
      }
      await pool.end();
      await writeFile(explainFile, `${sections.join('\n')}\n`);
      log(`plans written to ${explainFile}`);
    } finally {
      await app.stop();
    }
    // The app writes its profile as it exits; the samples of each page's load are summed apart.
    if (profileDir) {
      const { file, profile } = await readProfile(profileDir);
      const summaries = figures.map(
        (figure) => `## ${figure.page.label}\n${formatProfileSummary(summariseProfile(profile, figure.window))}`,
      );
      process.stdout.write(`\nWhere the app's CPU went during each load (${file}):\n\n${summaries.join('\n\n')}\n`);
    }
  } finally {
    await db.destroy();
  }
}

/** How many messages the store holds: its last global position (the seeder deletes none). */
async function storeSize(messageStoreUrl: string): Promise<number> {
  const pool = createMessageStorePool(messageStoreUrl, { logger: createLogger('silent'), max: 1 });
  try {
    return await storeHead(pool);
  } finally {
    await pool.end();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
