import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ViewingStore } from './message-store.ts';
import type { Target } from './target.ts';
import { pageCount } from './visitor.ts';

export interface CatchUp {
  /** From the commit until the page showed them all. */
  readonly eventsPerSecond: number;
  /** From the commit until every subscriber that reads viewings (its category's and every category's readers) had applied them; when the target reports positions. */
  readonly everySubscriberEventsPerSecond: number | undefined;
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
  // The viewings' own last position, not the store's head: another write after them (a
  // component's position, say) is never reached by the viewings' subscribers.
  const last = await store.lastViewing();
  let counted = 0;
  while (counted < events && performance.now() - committed < limitMs(events)) {
    counted = (await pageCount(target)) - before;
    if (counted < events) await sleep(10);
  }
  const eventsPerSecond = counted / ((performance.now() - committed) / 1000);
  if (target.statusToken === undefined || counted < events)
    return { eventsPerSecond, everySubscriberEventsPerSecond: undefined, counted };
  while (!(await everyViewingApplied(target.url, target.statusToken, last))) {
    if (performance.now() - committed > limitMs(events))
      return { eventsPerSecond, everySubscriberEventsPerSecond: undefined, counted };
    await sleep(10);
  }
  return {
    eventsPerSecond,
    everySubscriberEventsPerSecond: events / ((performance.now() - committed) / 1000),
    counted,
  };
}

/** Whether every subscriber of `viewing` and of every category stands at `position` or past it, by the app's /status. */
export async function everyViewingApplied(url: string, token: string, position: number): Promise<boolean> {
  const answer = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${token}` } });
  const { subscribers } = (await answer.json()) as {
    subscribers: Array<{ category: string; position: number }>;
  };
  return subscribers
    .filter((subscriber) => subscriber.category === 'viewing' || subscriber.category === '$all')
    .every((subscriber) => subscriber.position >= position);
}
