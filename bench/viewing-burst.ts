import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import type { DatabaseUrls } from '../src/config/env.ts';
import { watchedCountOf } from '../test/helpers/http.ts';
import { publishBenchVideo } from './published-video.ts';
import { CookieJar } from './site/cookie-jar.ts';
import { recordViewingForm } from './site/page-form.ts';
import { VIA_PROXY } from './site/visitor.ts';

export interface ViewingBurst {
  readonly seconds: number;
  /** Answers that took the viewing (a redirect), per second. */
  readonly acceptedPerSecond: number;
  /** Answers that refused it for being too many (429), per second. */
  readonly refusedPerSecond: number;
  /** Any other answer, and connection errors, in all. */
  readonly other: number;
  /** VideoViewed messages the burst left in the video's stream. */
  readonly written: number;
  /** How much the home page's total and the video's own count rose once the projections caught up. */
  readonly countedOnHomePage: number;
  readonly countedForVideo: number;
}

const CATCH_UP_LIMIT_MS = 60_000;

async function caughtUp(db: pg.Pool, store: pg.Pool, subscriberIds: readonly string[]): Promise<boolean> {
  const head = Number(
    (
      await store.query<{ head: string | null }>(
        `SELECT max(global_position) AS head FROM messages WHERE category(stream_name) = 'viewing'`,
      )
    ).rows[0]?.head ?? 0,
  );
  const rows = await db.query<{ subscriber_id: string; position: string }>(
    'SELECT subscriber_id, max(position) AS position FROM subscriber_positions WHERE subscriber_id = ANY($1) GROUP BY subscriber_id',
    [subscriberIds],
  );
  return subscriberIds.every((id) => Number(rows.rows.find((row) => row.subscriber_id === id)?.position ?? 0) >= head);
}

/**
 * One visitor at one address records viewings of one published video as fast as `connections`
 * connections allow for `seconds`, through the watch page's own form (its session and token):
 * what an attacker with a script does to inflate a count. Says how many the site took and
 * refused per second, how many reached the store, and how many the counts show once caught up.
 */
export async function viewingBurst(
  baseUrl: string,
  urls: DatabaseUrls,
  { seconds, connections }: { seconds: number; connections: number },
): Promise<ViewingBurst> {
  const store = new pg.Pool({
    connectionString: urls.messageStoreUrl,
    options: '-c search_path=message_store,public',
    max: 2,
  });
  const db = new pg.Pool({ connectionString: urls.databaseUrl, max: 2 });
  try {
    const videoId = await publishBenchVideo(baseUrl, urls.messageStoreUrl, 'Burst target');
    const jar = new CookieJar();
    const watchUrl = `${baseUrl}/videos/${videoId}`;
    const page = await fetch(watchUrl, { headers: VIA_PROXY });
    jar.take(page.headers.getSetCookie());
    const form = recordViewingForm(await page.text(), watchUrl);
    if (!form) throw new Error('no record-viewing form on the watch page');
    const cookie = jar.header();

    const homeCount = async () =>
      watchedCountOf(await (await fetch(`${baseUrl}/`, { headers: VIA_PROXY })).text()) ?? 0;
    const videoCount = async () =>
      Number(((await (await fetch(`${watchUrl}/views`, { headers: VIA_PROXY })).json()) as { views: number }).views);
    const [homeBefore, videoBefore] = [await homeCount(), await videoCount()];

    const result = await autocannon({
      url: form.action,
      method: 'POST',
      connections,
      duration: seconds,
      headers: {
        ...VIA_PROXY,
        origin: baseUrl,
        'content-type': 'application/x-www-form-urlencoded',
        ...(cookie ? { cookie } : {}),
      },
      body: new URLSearchParams(form.fields).toString(),
    });
    const statuses = result.statusCodeStats as unknown as Record<string, { count: number } | undefined>;
    const accepted = statuses['303']?.count ?? 0;
    const refused = statuses['429']?.count ?? 0;

    const waited = performance.now();
    const subscribers = ['aggregators:home-page', 'aggregators:videos:views'];
    while (!(await caughtUp(db, store, subscribers)) && performance.now() - waited < CATCH_UP_LIMIT_MS) await sleep(50);
    const written = Number(
      (
        await store.query<{ n: string }>(`SELECT count(*) AS n FROM messages WHERE stream_name = $1`, [
          `viewing-${videoId}`,
        ])
      ).rows[0]?.n ?? 0,
    );
    return {
      seconds,
      acceptedPerSecond: accepted / seconds,
      refusedPerSecond: refused / seconds,
      other: result.requests.total - accepted - refused + result.errors,
      written,
      countedOnHomePage: (await homeCount()) - homeBefore,
      countedForVideo: (await videoCount()) - videoBefore,
    };
  } finally {
    await Promise.all([store.end(), db.end()]);
  }
}

export function formatBurst(burst: ViewingBurst): string {
  return (
    `${Math.round(burst.acceptedPerSecond)} accepted/s, ${Math.round(burst.refusedPerSecond)} refused (429)/s, ${burst.other} other over ${burst.seconds} s; ` +
    `${burst.written} written; counted +${burst.countedOnHomePage} on the home page, +${burst.countedForVideo} for the video`
  );
}
