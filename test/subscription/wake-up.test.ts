import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { MessageStore } from '../../src/message-store/index.ts';
import { componentPositionStream } from '../../src/subscription/component-processor.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { componentSubscriber } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const TEN_MINUTES = 10 * 60_000;

scopedTest(
  'wake-ups: an idle subscriber polling every 10 minutes is woken at once by a write in its own process',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const handled: string[] = [];
    const subscription = scope.running(
      componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }),
    );
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    const written = message('Wake');
    await store.write(`${category}-${randomUUID()}`, written);
    await waitUntil('the woken subscriber to handle the message', () => handled.includes(written.id), {
      timeoutMs: 10_000,
    });
    t.deepEqual(handled, [written.id], 'handled long before the next poll');
  },
);

scopedTest('wake-ups: a write by another app process wakes an idle subscriber here (its NOTIFY)', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const { store: otherProcess } = await openTestStore(scope, urls);
  const category = uniqueCategory();
  const handled: string[] = [];
  const subscription = scope.running(
    componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }),
  );
  subscription.start();
  await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
  const written = message('Wake');
  await otherProcess.write(`${category}-${randomUUID()}`, written);
  await waitUntil("the subscriber to hear of the other process's write", () => handled.includes(written.id), {
    timeoutMs: 10_000,
  });
  t.deepEqual(handled, [written.id], 'handled long before the next poll');
});

scopedTest('wake-ups: a write by another program (plain SQL) wakes an idle subscriber at once', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const program = scope.add(
    new pg.Client({ connectionString: urls.messageStoreUrl, options: '-c search_path=message_store,public' }),
    (c) => c.end(),
  );
  await program.connect();
  const category = uniqueCategory();
  const handled: string[] = [];
  const subscription = scope.running(
    componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }),
  );
  subscription.start();
  await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
  const id = randomUUID();
  // Plain SQL, as a script or another service would write, knowing nothing of our wake-ups.
  await program.query(`SELECT write_message($1, $2, 'Foreign', '{}')`, [id, `${category}-${randomUUID()}`]);
  await waitUntil('the subscriber to notice the foreign write', () => handled.includes(id), { timeoutMs: 10_000 });
  t.deepEqual(handled, [id], 'handled long before the next poll');
});

scopedTest(
  'wake-ups: a short batch handled to its end is the head: the subscriber waits to be woken, not reading again',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const program = scope.add(
      new pg.Client({ connectionString: urls.messageStoreUrl, options: '-c search_path=message_store,public' }),
      (c) => c.end(),
    );
    await program.connect();
    const category = uniqueCategory();
    let reads = 0;
    const counted: MessageStore = {
      ...store,
      readCategory: (name, options) => {
        reads += 1;
        return store.readCategory(name, options);
      },
    };
    const handled: string[] = [];
    const subscription = scope.running(
      componentSubscriber(counted, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }),
    );
    // One statement writes them, so one commit and one wake-up (PostgreSQL sends a repeated
    // notification of a transaction once).
    const writeInOneStatement = async (count: number) => {
      const result = await program.query<{ id: string }>(
        `SELECT write_message(id, $1 || '-' || gen_random_uuid(), 'Batch', '{}') AS position, id
           FROM (SELECT gen_random_uuid()::text AS id FROM generate_series(1, $2)) AS ids`,
        [category, count],
      );
      return result.rows.map((row) => row.id);
    };
    subscription.start();
    // First a round trip through the wake-ups, so that the store listens before reads are counted.
    const warmUp = await writeInOneStatement(1);
    await waitUntil('the first write handled', () => handled.includes(warmUp[0]!) && subscription.status().caughtUp);
    reads = 0;
    const ids = await writeInOneStatement(3);
    await waitUntil(
      'the three handled and the subscriber caught up',
      () => ids.every((id) => handled.includes(id)) && subscription.status().caughtUp,
    );
    t.equal(reads, 1, 'one read brought the three; none after it found nothing');
  },
);

scopedTest(
  "wake-ups: another process's write landing while a short batch is handled is read at once, not at the next poll",
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const { store: otherProcess } = await openTestStore(scope, urls);
    const category = uniqueCategory();
    const later = message('Later');
    const handled: string[] = [];
    const subscription = scope.running(
      componentSubscriber(
        store,
        category,
        async (m) => {
          handled.push(m.id);
          // Written by another process while the batch is in hand: its NOTIFY may come now or after.
          if (m.type === 'First') await otherProcess.write(`${category}-${randomUUID()}`, later);
        },
        { pollIntervalMs: TEN_MINUTES },
      ),
    );
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    await store.write(`${category}-${randomUUID()}`, message('First'));
    await waitUntil("the other process's write handled", () => handled.includes(later.id), { timeoutMs: 10_000 });
    t.equal(handled.length, 2, 'both handled long before the next poll');
  },
);

scopedTest(
  'wake-ups: a write landing while a short batch is handled is read at once, not at the next poll',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const later = message('Later');
    const handled: string[] = [];
    const subscription = scope.running(
      componentSubscriber(
        store,
        category,
        async (m) => {
          handled.push(m.id);
          // Written while the batch that read the first is in hand: its wake-up comes now.
          if (m.type === 'First') await store.write(`${category}-${randomUUID()}`, later);
        },
        { pollIntervalMs: TEN_MINUTES },
      ),
    );
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    await store.write(`${category}-${randomUUID()}`, message('First'));
    await waitUntil('the write made during the batch handled', () => handled.includes(later.id), { timeoutMs: 10_000 });
    t.equal(handled.length, 2, 'both handled long before the next poll');
  },
);

scopedTest(
  'wake-ups: under a stream of writes a component stores its position every hundred messages, not at every short batch',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const subscriberId = `components:test:${category}`;
    let handled = 0;
    const subscription = scope.running(
      componentSubscriber(
        store,
        category,
        async () => {
          handled += 1;
          // Each message handled brings the next: the reader always finds one, written meanwhile.
          if (handled < 300) await store.write(`${category}-${randomUUID()}`, message('Next'));
        },
        { pollIntervalMs: TEN_MINUTES, subscriberId },
      ),
    );
    subscription.start();
    await store.write(`${category}-${randomUUID()}`, message('Next'));
    await waitUntil('the stream of 300 handled', () => handled === 300 && subscription.status().caughtUp, {
      timeoutMs: 30_000,
    });
    const stored = await store.readStream(componentPositionStream(subscriberId), { batchSize: -1 });
    t.ok(stored.length <= 5, `${stored.length} positions stored for 300 messages (each 100, and once caught up)`);
  },
);
