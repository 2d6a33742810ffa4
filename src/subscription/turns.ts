/**
 * Turns between one process's subscribers, for the few milliseconds after a write. Everything a
 * write wakes shares one event loop and a couple of cores: a viewing woke six aggregators, and the
 * home page's transaction went at the pace of all six, so the count showed about 25 ms after the
 * write. Subscribers of what a visitor reads next (the foreground) go first: one of the background
 * (the operator's views, the audit chain, the weekly ranking) holds each live batch (one shorter
 * than it asked for; subscription.ts) until no foreground subscriber has work in hand. It waits at
 * most `maxWaitMs` a batch, so a foreground kept busy (a long catch-up, a database that is down)
 * slows the background a little and never stops it.
 * Positions, transactions and what each applies are untouched: only when.
 */
export interface SubscriberTurns {
  /** A foreground subscriber has work in hand (woken, starting, reading, applying). */
  busy(subscriber: object): void;
  /** It has caught up, or stopped, and waits. */
  idle(subscriber: object): void;
  /** Resolves when no foreground subscriber has work in hand, after `maxWaitMs`, or on abort. */
  backgroundTurn(signal: AbortSignal): Promise<void>;
}

/** Long enough for the foreground's batch after a write (a few ms), short beside a batch of a catch-up. */
export const DEFAULT_MAX_WAIT_MS = 25;

export function createSubscriberTurns({
  maxWaitMs = DEFAULT_MAX_WAIT_MS,
}: { maxWaitMs?: number } = {}): SubscriberTurns {
  const busy = new Set<object>();
  let waiting: Array<() => void> = [];

  return {
    busy(subscriber) {
      busy.add(subscriber);
    },
    idle(subscriber) {
      if (!busy.delete(subscriber) || busy.size > 0) return;
      const resume = waiting;
      waiting = [];
      for (const go of resume) go();
    },
    async backgroundTurn(signal) {
      // One turn of the event loop first: subscribers woken by the same write, however their
      // wake-ups are dispatched, have all said they are busy by then.
      await new Promise((resolve) => setImmediate(resolve));
      if (busy.size === 0 || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const go = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', go);
          waiting = waiting.filter((other) => other !== go);
          resolve();
        };
        const timer = setTimeout(go, maxWaitMs);
        signal.addEventListener('abort', go, { once: true });
        waiting.push(go);
      });
    },
  };
}
