import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMsOf } from '../app-process.ts';
import { everyViewingApplied } from './catch-up.ts';
import type { ViewingStore } from './message-store.ts';
import type { Target } from './target.ts';
import { anotherVisitor, pageCount, type Submission } from './visitor.ts';

export interface PostLoad {
  readonly postsPerSecond: number;
  readonly p99Ms: number;
  /** Answers other than a redirect or 2xx, and connection errors. */
  readonly failed: number;
  /** Viewings that reached the message store per second, and that the page counted per second. */
  readonly writtenPerSecond: number;
  readonly countedPerSecond: number;
  /** The most the page's count trailed the store while the load ran. */
  readonly mostTrailed: number;
  /** From the end of the load until the page counted every viewing written. */
  readonly caughtUpMs: number;
  /**
   * The app's CPU from the load's start until every subscriber of the viewings had applied them
   * (by /status; without a status token, until the page showed them), per viewing written: a
   * POST's cost with everything it sets off. Undefined without the app's pid, or when they were
   * not all applied within the wait.
   */
  readonly cpuMsPerPost: number | undefined;
}

const SAMPLE_EVERY_MS = 250;
const CATCH_UP_LIMIT_MS = 60_000;

/**
 * Records viewings through the site's own form with its session and token (`submission`),
 * `connections` at once for `seconds`, each post as another visitor (anotherVisitor), while
 * comparing what its message store holds with what its page shows.
 */
export async function postLoad(
  target: Target,
  store: ViewingStore,
  submission: Submission,
  connections: number,
  seconds: number,
): Promise<PostLoad> {
  const head = await store.head();
  const countedBefore = await pageCount(target);
  let mostTrailed = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const written = await store.viewingsAfter(head);
      mostTrailed = Math.max(mostTrailed, written - ((await pageCount(target)) - countedBefore));
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  const cpuBefore = target.pid === undefined ? undefined : await cpuMsOf(target.pid);
  const began = performance.now();
  const result = await autocannon({
    url: submission.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { ...submission.headers },
        body: submission.body,
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...anotherVisitor() } }),
      },
    ],
  });
  const elapsed = (performance.now() - began) / 1000;
  sampling = false;
  await sampler;
  const written = await store.viewingsAfter(head);
  const countedAtEnd = (await pageCount(target)) - countedBefore;
  const endOfLoad = performance.now();
  while ((await pageCount(target)) - countedBefore < written && performance.now() - endOfLoad < CATCH_UP_LIMIT_MS)
    await sleep(10);
  const caughtUpMs = performance.now() - endOfLoad;
  let everyApplied = caughtUpMs < CATCH_UP_LIMIT_MS;
  if (target.statusToken !== undefined) {
    const last = await store.lastViewing();
    const applied = () => everyViewingApplied(target.url, target.statusToken!, last).catch(() => false);
    // Polled every 50 ms: the poll's own requests are CPU the figure counts.
    while (!(everyApplied = await applied()) && performance.now() - endOfLoad < CATCH_UP_LIMIT_MS) await sleep(50);
  }
  const cpuMs =
    target.pid === undefined || cpuBefore === undefined || !everyApplied
      ? undefined
      : (await cpuMsOf(target.pid)) - cpuBefore;
  return {
    postsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    failed: result.non2xx - result['3xx'] + result.errors,
    writtenPerSecond: written / elapsed,
    countedPerSecond: countedAtEnd / elapsed,
    mostTrailed,
    caughtUpMs,
    cpuMsPerPost: cpuMs === undefined || written === 0 ? undefined : cpuMs / written,
  };
}
