import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DEFAULTS } from '../../src/config/defaults.ts';
import { storeHead } from '../../src/message-queries/counts.ts';
import type { DatabaseUrls } from '../../src/config/env.ts';
import type { Logger } from '../../src/logger.ts';
import type { SubscriberStatus } from '../../src/subscription/status.ts';
import { createSystem, type System } from '../../src/system.ts';
import { BENCH_AUDIT_KEY } from '../app-process.ts';

export interface SubscriberCatchUp {
  readonly subscriberId: string;
  readonly kind: SubscriberStatus['kind'];
  readonly handled: number;
  readonly position: number;
  /** From the system's start until it reached the head and stayed there. */
  readonly ms: number;
}

export interface CatchUpResult {
  readonly ms: number;
  /** The store's last global position once every subscriber had reached it. */
  readonly head: number;
  readonly subscribers: readonly SubscriberCatchUp[];
}

export interface CatchUpProgress {
  readonly elapsedMs: number;
  readonly head: number;
  readonly statuses: readonly SubscriberStatus[];
}

export interface CatchUpOptions {
  readonly urls: DatabaseUrls;
  readonly logger: Logger;
  /** How often the subscribers' statuses are read (the catch-up times are as fine as this). */
  readonly pollMs?: number;
  readonly onProgress?: (progress: CatchUpProgress) => void;
  /** Gives up (throws) after this long. */
  readonly timeoutMs?: number;
}

const isAtHead = (status: SubscriberStatus): boolean =>
  status.state === 'running' && status.caughtUp && !status.waitingAtGap;

/**
 * Starts the real system on the seeded databases, every subscriber as `npm start` runs them (the
 * components too: identity sends the creators' welcome emails, into a temporary folder), and waits
 * until every subscriber has read to the store's head and the head stays put. Each subscriber's
 * time is from the start until the poll after which it stayed at the head; a subscriber that
 * stalls fails the run.
 */
export async function catchUpFromZero({
  urls,
  logger,
  pollMs = 250,
  onProgress,
  timeoutMs = 6 * 60 * 60_000,
}: CatchUpOptions): Promise<CatchUpResult> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'vt-catalog-'));
  let system: System | undefined;
  try {
    system = createSystem({
      urls,
      logger,
      cookieSecret: randomBytes(32).toString('base64url'),
      production: false,
      // The key the bench's app signs with later, so the store's heads verify with one key.
      auditKey: BENCH_AUDIT_KEY,
      mail: { ...DEFAULTS.mail, dir: path.join(scratch, 'mail') },
      videos: { ...DEFAULTS.videos, dir: path.join(scratch, 'videos') },
    });
    const headOf = (): Promise<number> => storeHead(system!.messageStorePool);
    const began = performance.now();
    system.start();
    const caughtUpAt = new Map<string, number>();
    const handled = new Map<string, number>();
    let lastHead = -1;
    let steady = 0;
    for (;;) {
      await sleep(pollMs);
      const elapsed = performance.now() - began;
      const head = await headOf();
      const statuses = system.status();
      const stalled = statuses.find((status) => status.state === 'stalled');
      if (stalled) throw new Error(`${stalled.subscriberId} stalled: ${stalled.failure?.error ?? 'no reason given'}`);
      for (const status of statuses) {
        // At the head, and nothing handled since the last poll: work done between two polls counts to the later one.
        const moved = handled.get(status.subscriberId) !== status.handled;
        handled.set(status.subscriberId, status.handled);
        if (!isAtHead(status)) caughtUpAt.delete(status.subscriberId);
        else if (moved || !caughtUpAt.has(status.subscriberId)) caughtUpAt.set(status.subscriberId, elapsed);
      }
      onProgress?.({ elapsedMs: elapsed, head, statuses });
      // Components write as they catch up (welcome emails): done when all are at a head that held still.
      steady = statuses.every(isAtHead) && head === lastHead ? steady + 1 : 0;
      lastHead = head;
      if (steady >= 2) {
        return {
          ms: Math.max(...caughtUpAt.values()),
          head,
          subscribers: statuses.map((status) => ({
            subscriberId: status.subscriberId,
            kind: status.kind,
            handled: status.handled,
            position: status.position,
            ms: caughtUpAt.get(status.subscriberId) ?? elapsed,
          })),
        };
      }
      if (elapsed > timeoutMs)
        throw new Error(`the subscribers had not caught up after ${Math.round(elapsed / 1000)} s`);
    }
  } finally {
    await system?.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

export const perSecond = (count: number, ms: number) => `${Math.round(count / (ms / 1000)).toLocaleString('en')}/s`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The store's last global position, read on a connection of its own. */
export async function headAt(messageStoreUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: messageStoreUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ head: string | null }>(
      'SELECT max(global_position) AS head FROM message_store.messages',
    );
    return Number(rows[0]?.head ?? 0);
  } finally {
    await client.end();
  }
}

/** A line every five seconds: how many subscribers are at the head, and the four furthest behind. */
export function logCatchUpProgress(log: (line: string) => void): (progress: CatchUpProgress) => void {
  let last = 0;
  return ({ elapsedMs, head, statuses }) => {
    if (elapsedMs - last < 5_000) return;
    last = elapsedMs;
    const behind = statuses.filter((status) => !(status.state === 'running' && status.caughtUp));
    const slowest = behind
      .sort((a, b) => a.position - b.position)
      .slice(0, 4)
      .map((status) => `${status.subscriberId} at ${status.position.toLocaleString('en')}`)
      .join(', ');
    log(
      `  ${seconds(elapsedMs)}: ${statuses.length - behind.length}/${statuses.length} at the head (${head.toLocaleString('en')})${slowest ? `; behind: ${slowest}` : ''}`,
    );
  };
}

/** The result as lines: the whole time, then each subscriber's, slowest first. */
export function catchUpTable(result: CatchUpResult): string[] {
  const rows = [...result.subscribers].sort((a, b) => b.ms - a.ms);
  const width = Math.max(...rows.map((row) => row.subscriberId.length));
  return [
    `caught up in ${seconds(result.ms)}; head ${result.head.toLocaleString('en')}`,
    ...rows.map(
      (row) =>
        `  ${row.subscriberId.padEnd(width)}  ${row.kind.padEnd(10)} ${seconds(row.ms).padStart(9)}  ${row.handled.toLocaleString('en').padStart(10)} handled (${perSecond(row.handled, row.ms)})`,
    ),
  ];
}
