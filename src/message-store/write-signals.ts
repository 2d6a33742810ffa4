import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { Session } from './session.ts';

export const WRITE_CHANNEL = 'message_store_write';
/** Listeners under this key hear of writes to every category. */
export const ANY_CATEGORY = '*';
// NOTIFY payloads are limited to 8000 bytes; stay well under it.
const MAX_PAYLOAD = 7000;
// Under a stream of writes, one NOTIFY per this many ms carries every category written
// meanwhile: other processes hear within a few ms, and the server is not kept busy notifying.
const MIN_NOTIFY_INTERVAL_MS = 3;

export type WriteListener = () => void;

export interface WriteSignals {
  /** A write to `category` has committed: wake this process's listeners and tell the others. */
  written(category: string): void;
  /** Calls `listener` after each committed write to `category` (or ANY_CATEGORY); returns the unsubscribe. */
  onWrite(category: string, listener: WriteListener): () => void;
  close(): Promise<void>;
}

/**
 * Wake-ups without a lock on the write path. PostgreSQL's NOTIFY takes a cluster-wide lock at
 * commit, so it never rides in a writer's transaction: subscribers in this process are woken
 * directly, and other processes hear of writes from one NOTIFY at a time on the session
 * connection, coalescing every category written meanwhile. Polling stays the safety net.
 */
export function createWriteSignals(session: Session, logger: Logger, instanceId: string = randomUUID()): WriteSignals {
  const listeners = new Map<string, Set<WriteListener>>();
  const pending = new Set<string>();
  let flushing = false;
  let lastNotify = -Infinity;
  let closed = false;

  function wakeLocal(category: string): void {
    for (const listener of listeners.get(category) ?? []) listener();
    for (const listener of listeners.get(ANY_CATEGORY) ?? []) listener();
  }

  function wakeAll(): void {
    for (const set of listeners.values()) for (const listener of set) listener();
  }

  function heard(message: pg.Notification): void {
    if (message.channel !== WRITE_CHANNEL || !message.payload) return;
    const [sender, categories = ''] = message.payload.split(' ');
    if (sender === instanceId) return; // we woke our own listeners when we wrote
    for (const category of categories.split(',')) if (category) wakeLocal(category);
  }

  session.onConnect(async (client) => {
    client.on('notification', heard);
    await client.query(`LISTEN ${WRITE_CHANNEL}`);
    // Writes made while we were not listening were missed: wake everyone once.
    wakeAll();
  });

  function payloads(categories: string[]): string[] {
    const out: string[] = [];
    let line = '';
    for (const category of categories) {
      if (line && instanceId.length + line.length + category.length + 2 > MAX_PAYLOAD) {
        out.push(line);
        line = '';
      }
      line = line ? `${line},${category}` : category;
    }
    if (line) out.push(line);
    return out.map((categoriesPart) => `${instanceId} ${categoriesPart}`);
  }

  async function flush(): Promise<void> {
    if (flushing || closed) return;
    flushing = true;
    try {
      while (pending.size > 0 && !closed) {
        const since = performance.now() - lastNotify;
        if (since < MIN_NOTIFY_INTERVAL_MS) await sleep(MIN_NOTIFY_INTERVAL_MS - since);
        lastNotify = performance.now();
        const categories = [...pending];
        pending.clear();
        const client = await session.client();
        if (!client) return; // other processes fall back on polling until we reconnect
        for (const payload of payloads(categories)) await client.query('SELECT pg_notify($1, $2)', [WRITE_CHANNEL, payload]);
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not tell other processes of a write; they will poll');
    } finally {
      flushing = false;
    }
  }

  return {
    written(category) {
      wakeLocal(category);
      pending.add(category);
      void flush();
    },
    onWrite(category, listener) {
      let set = listeners.get(category);
      if (!set) listeners.set(category, (set = new Set()));
      set.add(listener);
      void session.client();
      return () => {
        set.delete(listener);
      };
    },
    async close() {
      closed = true;
    },
  };
}
