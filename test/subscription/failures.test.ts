import { randomUUID } from 'node:crypto';
import test from 'tape';
import { z } from 'zod';
import { createDispatcher } from '../../src/message-store/contract.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { aggregatorSubscriber, componentSubscriber, openSeenTable, recordSeen } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

test('aggregator: a handler that fails for a while is retried and goes on', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = await openSeenTable(urls.databaseUrl);
  try {
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Flaky'));
    // One failure for the whole batch, then two of the three single-message attempts.
    let failuresLeft = 3;
    const subscription = aggregatorSubscriber(store, db, category, async (m, trx) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('database hiccup');
      }
      await recordSeen(m, trx);
    });
    subscription.start();
    await waitUntil('the flaky message to be applied', async () => (await db('seen').first()) !== undefined);
    const status = subscription.status();
    t.equal(status.state, 'running', 'still running');
    t.equal(status.retries, 2, 'retried with backoff until it succeeded');
    t.equal(status.failure, undefined, 'no failure recorded');
    await subscription.stop();
  } finally {
    await db.destroy();
    await close();
  }
});

test('aggregator: a handler that keeps failing stalls only its own subscriber, at that message', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = await openSeenTable(urls.databaseUrl);
  try {
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Good'));
    await store.write(`${category}-2`, message('Poison'));
    await store.write(`${category}-3`, message('Good'));
    const [, poison] = await store.readCategory(category);

    const failing = aggregatorSubscriber(store, db, category, async (m, trx) => {
      if (m.type === 'Poison') throw new Error('cannot apply this');
      await recordSeen(m, trx);
    });
    const counted: RawMessage[] = [];
    const healthy = componentSubscriber(store, category, async (m) => void counted.push(m));
    failing.start();
    healthy.start();

    await waitUntil('the failing subscriber to stall', () => failing.status().state === 'stalled');
    const status = failing.status();
    t.equal(status.failure?.messageId, poison!.id, 'the status names the message');
    t.equal(status.failure?.type, 'Poison');
    t.match(status.failure?.error ?? '', /cannot apply this/, 'and the error');
    t.equal(status.failure?.attempts, 3, 'after every retry');
    t.ok(status.position < poison!.globalPosition, 'the position stays before the poison message');
    const seen = await db('seen').select('type');
    t.deepEqual(seen.map((row: { type: string }) => row.type), ['Good'], 'what came before it was applied, nothing after');

    await waitUntil('the other subscriber to read everything', () => counted.length === 3);
    t.equal(healthy.status().state, 'running', 'the other subscriber carries on');
    await store.write(`${category}-4`, message('Good'));
    await waitUntil('the other subscriber to keep reading', () => counted.length === 4);
    await Promise.all([failing.stop(), healthy.stop()]);
    t.equal(failing.status().state, 'stalled', 'a stalled subscriber stays visibly stalled');
  } finally {
    await db.destroy();
    await close();
  }
});

test('component: a message that keeps failing is parked in a dead-letter stream and the rest go on', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    const poisonId = randomUUID();
    await store.write(`${category}-1`, { ...message('Poison', { n: 1 }, { traceId: 'trace-p' }), id: poisonId });
    await store.write(`${category}-2`, message('Good'));
    const handled: string[] = [];
    const subscription = componentSubscriber(store, category, async (m) => {
      if (m.type === 'Poison') throw new Error('always fails');
      handled.push(m.type);
    });
    subscription.start();
    await waitUntil('the good message after the poison one', () => handled.length === 1);
    const status = subscription.status();
    t.equal(status.state, 'running', 'still running');
    t.equal(status.parked, 1, 'one parked');
    t.equal(status.failure?.messageId, poisonId, 'the status names the parked message');

    const parked = await store.readStream(`deadLetter-${subscription.subscriberId}`);
    t.equal(parked.length, 1, 'the dead-letter stream holds it');
    const data = parked[0]!.data as { message: { id: string; data: unknown }; error: string; attempts: number; subscriberId: string };
    t.equal(data.message.id, poisonId, 'with the whole original message');
    t.deepEqual(data.message.data, { n: 1 });
    t.match(data.error, /always fails/, 'the error');
    t.equal(data.attempts, 3, 'and how often it was tried');
    t.equal(parked[0]!.metadata.traceId, 'trace-p', 'the trace carries on');
    t.equal(parked[0]!.metadata.causationMessageStreamName, `${category}-1`, 'caused by the original');
    await subscription.stop();
  } finally {
    await close();
  }
});

test('component: data that breaks its contract is parked at once, not retried', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Greet', { name: 42 }));
    await store.write(`${category}-2`, message('Greet', { name: 'Ada' }));
    const greeted: string[] = [];
    const handle = createDispatcher({ Greet: z.object({ name: z.string() }) }, {
      async Greet(m) {
        greeted.push(m.data.name);
      },
    });
    const subscription = componentSubscriber(store, category, handle);
    subscription.start();
    await waitUntil('the valid message', () => greeted.length === 1);
    t.deepEqual(greeted, ['Ada']);
    t.equal(subscription.status().retries, 0, 'no retries for bad data');
    t.equal(subscription.status().failure?.attempts, 1);
    t.match(subscription.status().failure?.error ?? '', /MessageDataError.*name/, 'the error says which field');
    await subscription.stop();
  } finally {
    await close();
  }
});

/** What pg raises when the server is shutting down (SQLSTATE 57P01). */
function adminShutdown(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
}

test('aggregator: a database outage longer than every retry does not stall it', async (t) => {
  const { store, urls, close } = await openTestStore();
  const db = await openSeenTable(urls.databaseUrl);
  try {
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Good'));
    let outage = 10; // more failures than FAST_RETRY's three attempts
    const subscription = aggregatorSubscriber(store, db, category, async (m, trx) => {
      if (outage > 0) {
        outage -= 1;
        throw adminShutdown();
      }
      await recordSeen(m, trx);
    });
    subscription.start();
    await waitUntil('the message to be applied once the database is back', async () => (await db('seen').first()) !== undefined);
    t.equal(subscription.status().state, 'running', 'it waited the outage out instead of stalling');
    t.equal(subscription.status().failure, undefined, 'and blamed no message');
    await subscription.stop();
  } finally {
    await db.destroy();
    await close();
  }
});

test('component: a database outage does not park innocent messages', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Good'));
    let outage = 10;
    const handled: string[] = [];
    const subscription = componentSubscriber(store, category, async (m) => {
      if (outage > 0) {
        outage -= 1;
        throw adminShutdown();
      }
      handled.push(m.id);
    });
    subscription.start();
    await waitUntil('the message to be handled once the database is back', () => handled.length === 1);
    t.equal(subscription.status().parked, 0, 'nothing parked');
    t.equal((await store.readStream(`deadLetter-${subscription.subscriberId}`)).length, 0, 'the dead-letter stream is empty');
    await subscription.stop();
  } finally {
    await close();
  }
});
