import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { messageVersions } from '../src/contracts/versions.ts';
import type { MessageStore } from '../src/message-store/index.ts';
import { writeMessage } from '../src/message-store/write.ts';

export type WriteMode =
  | 'plain write_message'
  | 'message store with wake-ups'
  | 'message store, no wake-ups'
  | 'write_message + pg_notify in the statement';

export interface ConcurrentWritesOptions {
  readonly pool: pg.Pool;
  readonly store: MessageStore;
  readonly writers: number;
  readonly writesEach: number;
}

const PLAIN = `SELECT write_message($1, $2, 'Tick', '{}')`;
// How every write was made before: the notify rode in the writer's own statement and commit.
const WITH_NOTIFY = `SELECT write_message($1, $2, 'Tick', '{}'), pg_notify('message_store_write', category($2))`;

/** `writers` concurrent writers, each to its own category, one commit per message; returns messages/s. */
export async function concurrentWrites(
  mode: WriteMode,
  { pool, store, writers, writesEach }: ConcurrentWritesOptions,
): Promise<number> {
  const run = randomUUID().replaceAll('-', '').slice(0, 8);
  const write = async (category: string): Promise<void> => {
    const stream = `${category}-${randomUUID()}`;
    if (mode === 'message store with wake-ups')
      await store.write(stream, { id: randomUUID(), type: 'Tick', data: {}, metadata: {} });
    else if (mode === 'message store, no wake-ups')
      await writeMessage(pool, messageVersions, stream, { id: randomUUID(), type: 'Tick', data: {}, metadata: {} });
    else await pool.query(mode === 'plain write_message' ? PLAIN : WITH_NOTIFY, [randomUUID(), stream]);
  };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      const category = `benchWriter${writer}x${run}`;
      for (let n = 0; n < writesEach; n += 1) await write(category);
    }),
  );
  return (writers * writesEach) / ((performance.now() - start) / 1000);
}
