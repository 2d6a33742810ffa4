import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ViewingStore } from './message-store.ts';
import type { Target } from './target.ts';
import { pageCount } from './visitor.ts';

export interface CatchUp {
  readonly eventsPerSecond: number;
  /** How many the page had counted when we stopped waiting: all of them unless the limit was hit. */
  readonly counted: number;
}

/** Long enough for an app that applies one event per statement (the book's: about 730/s). */
const limitMs = (events: number) => Math.max(120_000, events * 5);

/**
 * A backlog of `events` viewings committed at once by another program, timed from the commit
 * until the site's page shows them all.
 */
export async function catchUp(target: Target, store: ViewingStore, events: number): Promise<CatchUp> {
  const before = await pageCount(target);
  await store.writeViewings(events);
  const committed = performance.now();
  let counted = 0;
  while (counted < events && performance.now() - committed < limitMs(events)) {
    counted = (await pageCount(target)) - before;
    if (counted < events) await sleep(10);
  }
  return { eventsPerSecond: counted / ((performance.now() - committed) / 1000), counted };
}
