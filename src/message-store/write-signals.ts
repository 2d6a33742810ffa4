import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { Session } from './session.ts';

const WRITE_CHANNEL = 'message_store_write';
/** Listeners under this key hear of writes to every category. */
export const ANY_CATEGORY = '*';
// NOTIFY payloads are limited to 8000 bytes; stay well under it.
const MAX_PAYLOAD = 7000;
/**
 * A process that listens holds this advisory lock (shared) on its session connection, so a
 * writer can tell whether any other process would hear a NOTIFY: a lone process sends none.
 */
export const LISTENER_LOCK = [0x56540001, 1] as const;
// How long a writer trusts its last look at who listens. A process that starts listening wakes
// its subscribers once, so at worst a write in this window waits for its poll.
const LISTENERS_TTL_MS = 1_000;
// Under a stream of writes, NOTIFYs go at most this often, each naming every category written
// meanwhile: other processes still hear within milliseconds, and the server (and every
// listener) is not kept busy with one notification per write.
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
 * directly, and other processes, when any listens, hear of writes from one NOTIFY at a time on
 * the session connection, coalescing every category written meanwhile. Polling stays the
 * safety net (and what notices writes by programs that do not notify).
 */
export function createWriteSignals(session: Session, logger: Logger, instanceId: string = randomUUID()): WriteSignals {
  const listeners = new Map<string, Set<WriteListener>>();
  const pending = new Set<string>();
  // The NOTIFYs on their way, if any: close() waits for them, so the session is not cut under them.
  let flushing: Promise<void> | undefined;
  let othersListening: { client: pg.Client; answer: boolean; until: number } | undefined;
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

  // Only a process with subscribers listens: a web process that only writes is spared every
  // other process's notifications.
  let listeningOn: pg.Client | undefined;
  async function listen(client: pg.Client): Promise<void> {
    if (listeningOn === client) return;
    listeningOn = client;
    client.on('notification', heard);
    await session.query(`LISTEN ${WRITE_CHANNEL}`);
    await session.query('SELECT pg_advisory_lock_shared($1, $2)', [...LISTENER_LOCK]);
    // Writes made while we were not listening were missed: wake everyone once.
    wakeAll();
  }
  session.onConnect(async (client) => {
    if (listeners.size > 0) await listen(client);
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

  async function anyoneElseListening(client: pg.Client): Promise<boolean> {
    const now = performance.now();
    if (othersListening?.client === client && now < othersListening.until) return othersListening.answer;
    const result = await session.query<{ others: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
          WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND pid <> pg_backend_pid()
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND classid::text::bigint = $1 AND objid::text::bigint = $2) AS others`,
      [...LISTENER_LOCK],
    );
    const answer = result?.rows[0]?.others === true;
    othersListening = { client, answer, until: now + LISTENERS_TTL_MS };
    return answer;
  }

  // One NOTIFY at a time: while one is on its way, the categories written meanwhile gather for
  // the next, so a stream of writes costs a few NOTIFYs, not one each.
  function flush(): void {
    if (flushing || closed) return;
    flushing = notifyPending().finally(() => (flushing = undefined));
  }

  // Runs until nothing is pending, even past close(): what was written is told before the end.
  async function notifyPending(): Promise<void> {
    try {
      while (pending.size > 0) {
        const client = await session.client();
        if (!client) return pending.clear(); // other processes fall back on polling until we reconnect
        if (!(await anyoneElseListening(client))) {
          pending.clear();
          continue;
        }
        const since = performance.now() - lastNotify;
        if (since < MIN_NOTIFY_INTERVAL_MS) await sleep(MIN_NOTIFY_INTERVAL_MS - since);
        const categories = [...pending];
        pending.clear();
        lastNotify = performance.now();
        for (const payload of payloads(categories))
          await session.query('SELECT pg_notify($1, $2)', [WRITE_CHANNEL, payload]);
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not tell other processes of a write; they will poll');
    }
  }

  return {
    written(category) {
      wakeLocal(category);
      pending.add(category);
      flush();
    },
    onWrite(category, listener) {
      let set = listeners.get(category);
      if (!set) listeners.set(category, (set = new Set()));
      set.add(listener);
      session
        .client()
        .then((client) => client && listen(client))
        .catch((error: unknown) => logger.warn({ err: error }, 'could not listen for writes; polling carries on'));
      return () => {
        set.delete(listener);
      };
    },
    async close() {
      closed = true;
      await flushing;
    },
  };
}
