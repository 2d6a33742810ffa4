import autocannon from 'autocannon';
import type { Knex } from 'knex';
import type pg from 'pg';
import { homeForm } from '../test/helpers/browser.ts';

export interface PostLoadResult {
  readonly postsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  /** Viewings written per second and counted per second by the home page over the load. */
  readonly writtenPerSecond: number;
  readonly appliedPerSecond: number;
  /** The most the count trailed the store during the load, and how long it took to catch up after. */
  readonly maxLag: number;
  readonly catchUpMs: number;
}

async function written(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ count: string }>(`SELECT count(*) FROM messages WHERE category(stream_name) = 'viewing'`);
  return Number(result.rows[0]?.count ?? 0);
}

async function counted(db: Knex): Promise<number> {
  const row = await db('home_page').where({ page_name: 'home' }).first<{ videos_watched: string }>('videos_watched');
  return Number(row?.videos_watched ?? 0);
}

/**
 * Records viewings through the app's own form, as a browser would (its session cookie and CSRF
 * token from a first GET), with `connections` at once for `seconds`, while watching how far the
 * home page's count trails the store.
 */
export async function postLoad(base: string, pool: pg.Pool, db: Knex, connections: number, seconds: number): Promise<PostLoadResult> {
  // Production mode: the session cookie is Secure, so we come as through a TLS proxy would.
  const viaProxy = { 'x-forwarded-proto': 'https' };
  const { cookie, fields, action } = await homeForm(base, viaProxy);

  const [writtenBefore, countedBefore] = [await written(pool), await counted(db)];
  let maxLag = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxLag = Math.max(maxLag, (await written(pool)) - writtenBefore - ((await counted(db)) - countedBefore));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const start = performance.now();
  const result = await autocannon({
    url: `${base}${action}`,
    method: 'POST',
    headers: { ...viaProxy, cookie, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    connections,
    duration: seconds,
  });
  const elapsed = (performance.now() - start) / 1000;
  sampling = false;
  await sampler;
  const [writtenAfter, countedAtEnd] = [await written(pool), await counted(db)];
  const endOfLoad = performance.now();
  while ((await counted(db)) - countedBefore < writtenAfter - writtenBefore && performance.now() - endOfLoad < 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return {
    postsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx - result['3xx'],
    writtenPerSecond: (writtenAfter - writtenBefore) / elapsed,
    appliedPerSecond: (countedAtEnd - countedBefore) / elapsed,
    maxLag,
    catchUpMs: performance.now() - endOfLoad,
  };
}

export function formatPostLoad(r: PostLoadResult): string {
  return (
    `${Math.round(r.postsPerSecond)} posts/s (p99 ${r.p99Ms} ms${r.non2xx ? `, ${r.non2xx} failed` : ''}); ` +
    `written ${Math.round(r.writtenPerSecond)}/s, counted ${Math.round(r.appliedPerSecond)}/s; ` +
    `count trailed by at most ${r.maxLag}, caught up ${Math.round(r.catchUpMs)} ms after the load`
  );
}
