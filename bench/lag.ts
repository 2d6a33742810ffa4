import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { MessageStore } from '../src/message-store/index.ts';
import type { Subscription } from '../src/subscription/subscription.ts';

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return { p50: at(50), p95: at(95), max: sorted.at(-1) ?? NaN };
}

export function formatPercentiles({ p50, p95, max }: Percentiles, samples: number): string {
  return `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms (${samples} samples)`;
}

/**
 * Time from a VideoViewed write (by `writer`) until `subscription` has applied it, with the
 * subscriber idle in between and polling too slowly to matter: the wake-up does the work.
 */
export type ViewingWriter = (videoId: string) => Promise<unknown>;

/** Through a message store: wakes this process directly, other processes by NOTIFY. */
export const throughStore =
  (store: MessageStore): ViewingWriter =>
  (videoId) =>
    store.write(`viewing-${videoId}`, {
      id: randomUUID(),
      type: 'VideoViewed',
      data: { videoId, userId: null },
      metadata: {},
    });

/** As another program would: plain SQL, no NOTIFY. */
export const throughSql =
  (pool: pg.Pool): ViewingWriter =>
  (videoId) =>
    pool.query(`SELECT write_message($1, $2, 'VideoViewed', jsonb_build_object('videoId', $3::text, 'userId', NULL))`, [
      randomUUID(),
      `viewing-${videoId}`,
      videoId,
    ]);

export async function writeToProjectionLag(
  write: ViewingWriter,
  subscription: Subscription,
  samples: number,
): Promise<number[]> {
  const lags: number[] = [];
  for (let n = 0; n < samples; n += 1) {
    const before = subscription.status().handled;
    const videoId = randomUUID();
    const start = performance.now();
    await write(videoId);
    while (subscription.status().handled === before) await new Promise((resolve) => setImmediate(resolve));
    lags.push(performance.now() - start);
  }
  return lags;
}
