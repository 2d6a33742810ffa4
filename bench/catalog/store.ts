// npm run bench:store -- (--json <seed's figures file> | --database-url <app> --message-store-url <store>)
//                        [--soak-minutes 60] [--read-rate 40] [--write-rate 10] [--no-build]
//
// The store-wide figures of issue 20 §3 on a store bench:seed-catalog left behind (with
// `--profile 10m`, about ten million messages): the disk each message takes in each database;
// `npm run audit:verify`'s time; the compiled app's start to its first 200; and its RSS through
// a mixed load of viewers' pages and viewings, sampled every minute, to see it flat or growing.
// bench:catalog measures the pages themselves. The soak's viewings stay in the store, as a real
// site's would.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import knex from 'knex';
import { DEVELOPMENT_AUDIT_KEY } from '../../src/audit/key.ts';
import type { AuditReport } from '../../src/audit/report.ts';
import { createLogger } from '../../src/logger.ts';
import { countMessages } from '../../src/message-queries/counts.ts';
import { ALL_CATEGORIES } from '../../src/subscription/subscription.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { BENCH_AUDIT_KEY, buildApp, rssMiB, startApp } from '../app-process.ts';
import { soak, type SoakSample } from '../soak.ts';
import { VIA_PROXY } from '../site/visitor.ts';
import { CATALOG_OPTIONS, catalogUrls } from './catalog-urls.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toLocaleString('en', { maximumFractionDigits: 0 })} MiB`;

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...CATALOG_OPTIONS,
      'soak-minutes': { type: 'string' },
      'read-rate': { type: 'string' },
      'write-rate': { type: 'string' },
      'no-build': { type: 'boolean' },
    },
    strict: true,
  });
  const urls = await catalogUrls(values);
  const positive = (name: string, value: string | undefined, fallback: number): number => {
    const parsed = value === undefined ? fallback : Number(value);
    if (!(parsed > 0)) throw new Error(`--${name} takes a number above 0, not ${value}`);
    return parsed;
  };
  const soakMinutes = positive('soak-minutes', values['soak-minutes'], 60);
  const readRate = positive('read-rate', values['read-rate'], 40);
  const writeRate = positive('write-rate', values['write-rate'], 10);
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    log(line);
  };

  const db = knex({ client: 'pg', connection: urls.databaseUrl, pool: { min: 0, max: 1 } });
  const store = createMessageStorePool(urls.messageStoreUrl, { logger: createLogger('silent'), max: 1 });
  try {
    // Disk: each database whole, and the messages table with its indexes and TOAST.
    const messages = await countMessages(store, ALL_CATEGORIES);
    const [sizes] = (
      await store.query<{ store: string; messages_table: string }>(
        `SELECT pg_database_size(current_database()) AS store, pg_total_relation_size('message_store.messages') AS messages_table`,
      )
    ).rows;
    const [appSize] = (
      await db.raw<{ rows: Array<{ bytes: string }> }>('SELECT pg_database_size(current_database()) AS bytes')
    ).rows;
    const [storeBytes, tableBytes, appBytes] = [
      Number(sizes?.store),
      Number(sizes?.messages_table),
      Number(appSize?.bytes),
    ];
    say(`Store ${urls.name}: ${messages.toLocaleString('en')} messages.`);
    say(
      `Disk: message store ${mib(storeBytes)} (${Math.round(storeBytes / messages)} bytes a message; the messages table with its indexes ${mib(tableBytes)}, ${Math.round(tableBytes / messages)} bytes a message); app database ${mib(appBytes)} (${Math.round(appBytes / messages)} bytes a message).`,
    );

    // audit:verify with the app stopped, so it has the machine to itself. The bench's key signs,
    // and the development key is accepted too (as a rotated-out key): stores seeded before the
    // seeder signed with the bench's key hold heads of the development key.
    const verifying = performance.now();
    const verified = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/bin/audit-verify.ts', '--json'],
      {
        env: {
          ...process.env,
          ENV_FILE: '/dev/null',
          // Production refuses the development key, even as an old key to verify with.
          NODE_ENV: 'development',
          AUDIT_KEY: `${BENCH_AUDIT_KEY},${DEVELOPMENT_AUDIT_KEY}`,
          DATABASE_URL: urls.databaseUrl,
          MESSAGE_STORE_URL: urls.messageStoreUrl,
          LOG_LEVEL: 'silent',
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      // Exit 1 is a verdict (something was found wrong), reported below; anything else is a failure to verify.
    ).catch((error: { stdout?: string; code?: number; stderr?: string }) => {
      if (error.code !== 1) throw new Error(`audit:verify exited ${error.code}: ${error.stderr ?? ''}`);
      return { stdout: error.stdout ?? '' };
    });
    const verifySeconds = (performance.now() - verifying) / 1000;
    const report = JSON.parse(verified.stdout) as Pick<AuditReport, 'verdict' | 'linksChecked' | 'notYetCovered'>;
    say(
      `audit:verify: ${verifySeconds.toFixed(1)} s for ${report.linksChecked.toLocaleString('en')} links, verdict ${report.verdict}, ${report.notYetCovered.toLocaleString('en')} messages above the chain's head not yet covered.`,
    );

    if (!values['no-build']) {
      log('building the app (npm run build)');
      buildApp();
    }
    // Start: from spawning the compiled app to its first 200 for the home page.
    const spawned = performance.now();
    const app = await startApp(urls);
    try {
      const listening = performance.now() - spawned;
      for (const deadline = Date.now() + 120_000; ;) {
        if (Date.now() > deadline || app.child.exitCode !== null)
          throw new Error('the app gave no 200 for / within two minutes of listening');
        const answer = await fetch(`${app.url}/`, { headers: VIA_PROXY }).catch(() => undefined);
        await answer?.arrayBuffer();
        if (answer?.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const firstPage = performance.now() - spawned;
      say(
        `Start (compiled): listening ${(listening / 1000).toFixed(2)} s, first 200 for / ${(firstPage / 1000).toFixed(2)} s after the spawn.`,
      );

      // The soak: home, Most watched, newest, watch pages and searches in turn, and viewings.
      const videos = (
        await db.raw<{ rows: Array<{ video_id: string }> }>(
          `SELECT video_id FROM videos WHERE status = 'published' AND visibility = 'public' AND published_at IS NOT NULL
            ORDER BY md5(video_id::text) LIMIT 500`,
        )
      ).rows.map((row) => row.video_id);
      const words = (
        await db.raw<{ rows: Array<{ word: string }> }>(
          `SELECT word FROM video_search_words WHERE length(to_tsvector('video_search', word)) > 0 ORDER BY videos DESC, word LIMIT 200`,
        )
      ).rows.map((row) => row.word);
      if (videos.length === 0 || words.length === 0) throw new Error('the catalog has no listed video or title word');
      const readPaths = videos.flatMap((videoId, index) => [
        `/videos/${videoId}`,
        `/search?${new URLSearchParams({ q: words[index % words.length]! }).toString()}`,
        ...(index % 5 === 0 ? ['/', '/popular', '/newest'] : []),
      ]);
      const idle = await rssMiB(app.child.pid!);
      log(`soak: ${soakMinutes} min, ${readRate} reads and ${writeRate} viewings a second`);
      const soaked = await soak(app.url, app.child.pid!, videos[0]!, soakMinutes * 60, {
        everySeconds: 60,
        readPaths,
        readRate,
        writeRate,
      });
      const rss = soaked.samples.map((sample: SoakSample) => sample.rssMiB);
      const half = rss.slice(Math.floor(rss.length / 2));
      say(
        `Soak: ${soakMinutes} min of ${readRate} reads a second (${readPaths.length} pages in turn: watch pages, searches, home, Most watched, newest) and ${writeRate} viewings a second; ${soaked.requests.toLocaleString('en')} requests, ${soaked.errors} failed.`,
      );
      say(
        `RSS: ${Math.round(idle)} MiB before; over the soak min ${Math.round(Math.min(...rss))}, max ${Math.round(Math.max(...rss))}, last ${Math.round(rss.at(-1)!)} MiB; second half min ${Math.round(Math.min(...half))}, max ${Math.round(Math.max(...half))} MiB.`,
      );
      say(
        `RSS over time: ${soaked.samples.map((sample) => `${Math.round(sample.second / 60)} min ${Math.round(sample.rssMiB)}`).join(', ')} MiB.`,
      );
    } finally {
      await app.stop();
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await Promise.all([db.destroy(), store.end()]);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
