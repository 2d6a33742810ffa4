import { randomUUID } from 'node:crypto';
import test from 'tape';
import type { RawMessage } from '../../src/message-store/index.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { aggregatorSubscriber, componentSubscriber, drain, openSeenTable, recordSeen } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

async function writeMany(store: { write: (s: string, m: ReturnType<typeof message>) => Promise<number> }, category: string, count: number) {
  for (let n = 0; n < count; n += 1) await store.write(`${category}-${randomUUID()}`, message('Tick', { n }));
}

test('component subscription: checkpoints every N, when caught up and on stop; resumes after restart', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    await writeMany(store, category, 250);
    const seen: number[] = [];
    const handle = async (m: RawMessage) => void seen.push((m.data as { n: number }).n);

    const first = componentSubscriber(store, category, handle, { batchSize: 250, positionUpdateInterval: 100 });
    t.equal(await first.tick(), 250, 'one tick reads the batch');
    const positions = (await store.readStream(`subscriberPosition-${first.subscriberId}`)).map((m) => (m.data as { position: number }).position);
    t.equal(positions.length, 2, 'a checkpoint after each 100 messages');
    t.equal(await first.tick(), 0, 'caught up');
    t.equal(first.status().checkpoint, first.status().position, 'caught up stores the position');
    await first.stop();

    const second = componentSubscriber(store, category, handle, { batchSize: 250 });
    await drain(second);
    t.equal(seen.length, 250, 'a restart after a clean stop redelivers nothing');
    await writeMany(store, category, 5);
    await drain(second);
    t.deepEqual(seen.slice(250), [0, 1, 2, 3, 4], 'and goes on with new messages only');
    await second.stop();
  } finally {
    await close();
  }
});

test('component subscription: a crash redelivers at most one checkpoint interval', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    await writeMany(store, category, 150);
    let handled = 0;
    const crashed = componentSubscriber(store, category, async () => void (handled += 1), { batchSize: 150, positionUpdateInterval: 100 });
    await crashed.tick(); // 150 handled, position stored at the 100th; then "crash" without stop()

    let redelivered = 0;
    const restarted = componentSubscriber(store, category, async () => void (redelivered += 1), { batchSize: 150 });
    await drain(restarted);
    t.equal(handled, 150);
    t.equal(redelivered, 50, 'only the messages after the last checkpoint come again');
    await restarted.stop();
  } finally {
    await close();
  }
});

test('aggregator subscription: position commits with the projection, so a restart resumes exactly', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = await openSeenTable(urls.databaseUrl);
  try {
    const category = uniqueCategory();
    await writeMany(store, category, 120);
    const first = aggregatorSubscriber(store, db, category, recordSeen, { batchSize: 50 });
    await first.tick();
    await first.tick();
    t.equal(first.status().position, first.status().checkpoint, 'every applied batch is checkpointed');
    // No stop(): as if the process died here. The primary key on `seen` fails any re-application.
    const second = aggregatorSubscriber(store, db, category, recordSeen, { batchSize: 50 });
    await drain(second);
    t.equal(second.status().state, 'starting', 'ticks alone do not start the loop');
    t.equal(second.status().failure, undefined, 'nothing was applied twice');
    const row = await db('seen').count<{ count: string }>('* as count').first();
    t.equal(Number(row?.count), 120, 'each message applied exactly once');
    await second.stop();
  } finally {
    await db.destroy();
    await close();
  }
});

test('subscription: graceful stop finishes the message in hand and checkpoints it', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    await writeMany(store, category, 3);
    let release!: () => void;
    const inHand = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const started = new Promise<void>((resolve) => (entered = resolve));
    const finished: number[] = [];
    const subscription = componentSubscriber(store, category, async (m) => {
      entered();
      await inHand;
      finished.push((m.data as { n: number }).n);
    });
    subscription.start();
    await started;
    const stopping = subscription.stop();
    release();
    await stopping;
    t.deepEqual(finished, [0], 'the message in hand finished; no new one started');
    t.equal(subscription.status().state, 'stopped');
    const last = await store.readLastMessage(`subscriberPosition-${subscription.subscriberId}`);
    t.equal((last?.data as { position: number }).position, subscription.status().position, 'its position was stored on stop');
  } finally {
    await close();
  }
});

test('aggregator subscription: two copies of one aggregator (a rolling deploy) apply each message once', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = await openSeenTable(urls.databaseUrl);
  try {
    const category = uniqueCategory();
    const options = { subscriberId: `aggregators:test:${category}`, batchSize: 7 };
    const copies = [aggregatorSubscriber(store, db, category, recordSeen, options), aggregatorSubscriber(store, db, category, recordSeen, options)];
    for (const copy of copies) copy.start();
    await writeMany(store, category, 300);
    await waitUntil('both copies to catch up', async () => {
      const row = await db('seen').count<{ count: string }>('* as count').first();
      return Number(row?.count) === 300 && copies.every((copy) => copy.status().caughtUp);
    });
    // The primary key on `seen` would have failed (and stalled a copy) on any double application.
    t.deepEqual(copies.map((copy) => copy.status().state), ['running', 'running'], 'neither copy stalled');
    await Promise.all(copies.map((copy) => copy.stop()));
  } finally {
    await db.destroy();
    await close();
  }
});

test('component subscriptions: a consumer group shares a category; correlation filters in the store', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    for (let n = 0; n < 40; n += 1) {
      await store.write(`${category}-${randomUUID()}`, message('Tick', { n }, n % 4 === 0 ? { correlationStreamName: `identity-${n}` } : {}));
    }
    const byMember: RawMessage[][] = [[], []];
    const members = [0, 1].map((member) =>
      componentSubscriber(store, category, async (m) => void byMember[member]!.push(m), {
        subscriberId: `components:test:${category}:${member}`,
        consumerGroup: { member, size: 2 },
      }),
    );
    for (const member of members) await drain(member);
    const ids = byMember.flat().map((m) => m.id);
    t.equal(ids.length, 40, 'the two members handle every message between them');
    t.equal(new Set(ids).size, 40, 'and none twice');
    t.ok(byMember.every((handled) => handled.length > 0), 'both members take part');

    const correlated: RawMessage[] = [];
    await drain(componentSubscriber(store, category, async (m) => void correlated.push(m), { correlation: 'identity' }));
    t.equal(correlated.length, 10, 'only the messages correlated with identity are delivered');
  } finally {
    await close();
  }
});
