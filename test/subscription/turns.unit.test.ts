import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { RawMessage } from '../../src/message-store/index.ts';
import { createSubscription, type Subscription } from '../../src/subscription/subscription.ts';
import { createSubscriberTurns, type SubscriberTurns } from '../../src/subscription/turns.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { openMemoryStore, type MemoryMessageStore } from '../helpers/memory-message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { componentProcessor } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const HOUR = 3_600_000;
const settled = (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  return () => done;
};

scopedTest('subscriber turns: the background waits while any foreground subscriber has work in hand', async (t) => {
  const turns = createSubscriberTurns({ maxWaitMs: HOUR });
  const never = new AbortController().signal;
  const [first, second] = [{}, {}];
  const alone = settled(turns.backgroundTurn(never));
  await waitUntil('a background with no foreground busy to go', alone);
  t.pass('none busy: it goes (the longest wait is an hour)');
  turns.busy(first);
  turns.busy(second);
  turns.busy(second); // said twice, idle once
  const waited = settled(turns.backgroundTurn(never));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(waited(), 'two busy: held');
  turns.idle(first);
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(waited(), 'one still busy: held');
  turns.idle(second);
  await waitUntil('the background to go', waited);
  t.pass('both idle: it goes');
});

scopedTest(
  'subscriber turns: a foreground kept busy holds a background batch at most the longest wait, and a stop frees it',
  async (t) => {
    const turns = createSubscriberTurns({ maxWaitMs: 40 });
    turns.busy({});
    const began = performance.now();
    await turns.backgroundTurn(new AbortController().signal);
    t.ok(performance.now() - began >= 35, 'held about the longest wait');
    const patient = createSubscriberTurns({ maxWaitMs: HOUR });
    patient.busy({});
    const stop = new AbortController();
    const waited = settled(patient.backgroundTurn(stop.signal));
    stop.abort();
    await waitUntil('a stopping background to go', waited);
    t.pass('a stop ends the wait');
  },
);

function subscriber(
  scope: Scope,
  store: MemoryMessageStore,
  category: string,
  turns: SubscriberTurns,
  priority: 'foreground' | 'background',
  handle: (message: RawMessage) => Promise<void>,
): Subscription {
  return scope.running(
    createSubscription({
      messageStore: store,
      logger: silentLogger,
      subscriberId: `components:${priority}:${category}`,
      category,
      processor: componentProcessor(store, category, handle, { subscriberId: `components:${priority}:${category}` }),
      retry: FAST_RETRY,
      pollIntervalMs: HOUR,
      turns,
      priority,
    }),
  );
}

scopedTest(
  'subscriber turns: after a write the foreground applies first, and the background begins once it has caught up',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const category = uniqueCategory();
    const turns = createSubscriberTurns({ maxWaitMs: HOUR });
    const events: string[] = [];
    let release: () => void = () => undefined;
    const foreground = subscriber(scope, store, category, turns, 'foreground', async (m) => {
      events.push(`foreground began ${m.type}`);
      await new Promise<void>((resolve) => (release = resolve));
      events.push(`foreground done ${m.type}`);
    });
    const background = subscriber(scope, store, category, turns, 'background', async (m) => {
      events.push(`background ${m.type}`);
    });
    background.start(); // first, so it would be first to apply were it not held
    foreground.start();
    await waitUntil('both idle', () => foreground.status().caughtUp && background.status().caughtUp);
    await store.write(`${category}-${randomUUID()}`, message('Viewed'));
    await waitUntil('the foreground to begin', () => events.includes('foreground began Viewed'));
    t.deepEqual(events, ['foreground began Viewed'], 'the background holds its batch while the foreground applies');
    release();
    await waitUntil('the background to apply', () => events.includes('background Viewed'));
    t.deepEqual(
      events,
      ['foreground began Viewed', 'foreground done Viewed', 'background Viewed'],
      'and applies it once the foreground has caught up',
    );

    await foreground.stop();
    await store.write(`${category}-${randomUUID()}`, message('Later'));
    await waitUntil('the background to apply with the foreground stopped', () => events.includes('background Later'));
    t.pass('a stopped foreground holds nothing back (the longest wait is an hour)');
  },
);

scopedTest('subscriber turns: a foreground stopped in the middle of a read holds nothing back', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const category = uniqueCategory();
  const turns = createSubscriberTurns({ maxWaitMs: HOUR });
  let unblock: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => (unblock = resolve));
  let reading = false;
  const blocking: MemoryMessageStore = {
    ...store,
    readCategory: async (name, options) => {
      reading = true;
      await blocked;
      return store.readCategory(name, options);
    },
  };
  const foreground = subscriber(scope, blocking, category, turns, 'foreground', async () => undefined);
  const applied: string[] = [];
  const background = subscriber(scope, store, category, turns, 'background', async (m) => void applied.push(m.type));
  foreground.start(); // busy from the start
  await waitUntil('the foreground to be held in its first read', () => reading);
  const stopped = foreground.stop();
  unblock();
  await stopped;
  background.start();
  await store.write(`${category}-${randomUUID()}`, message('Viewed'));
  await waitUntil('the background to apply', () => applied.includes('Viewed'));
  t.pass('the background applied at once (the longest wait is an hour)');
});

scopedTest(
  'subscriber turns: a foreground standing by, or failing to read, has nothing in hand and holds nothing back',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const category = uniqueCategory();
    const turns = createSubscriberTurns({ maxWaitMs: HOUR });
    const running = subscriber(scope, store, category, turns, 'foreground', async () => undefined);
    running.start();
    await waitUntil('the first copy to run', () => running.status().state === 'running');
    // A second copy of the same member: another process holds it, so this one stands by.
    const standing = subscriber(scope, store, category, turns, 'foreground', async () => undefined);
    standing.start();
    await waitUntil('the second copy to stand by', () => standing.status().state === 'standby');
    const failing: MemoryMessageStore = {
      ...store,
      readCategory: async () => {
        throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
      },
    };
    const unreadable = subscriber(scope, failing, uniqueCategory(), turns, 'foreground', async () => undefined);
    unreadable.start();
    await waitUntil('the third to fail a read', () => unreadable.status().readError !== undefined);
    const applied: string[] = [];
    const background = subscriber(scope, store, category, turns, 'background', async (m) => void applied.push(m.type));
    background.start();
    await store.write(`${category}-${randomUUID()}`, message('Viewed'));
    await waitUntil('the background to apply', () => applied.includes('Viewed'));
    t.pass('the background applied at once (the longest wait is an hour)');
  },
);

scopedTest('subscriber turns: a full batch (a catch-up) is not held; the short one after it is', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const category = uniqueCategory();
  const turns = createSubscriberTurns({ maxWaitMs: HOUR });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const foreground = subscriber(scope, store, category, turns, 'foreground', () => held);
  const applied: string[] = [];
  let readThird = false;
  const watched: MemoryMessageStore = {
    ...store,
    readCategory: async (name, options) => {
      const messages = await store.readCategory(name, options);
      if (messages.some((m) => m.type === 'Three')) readThird = true;
      return messages;
    },
  };
  const background = scope.running(
    createSubscription({
      messageStore: watched,
      logger: silentLogger,
      subscriberId: `components:background:${category}`,
      category,
      processor: componentProcessor(store, category, async (m) => void applied.push(m.type), {
        subscriberId: `components:background:${category}`,
      }),
      retry: FAST_RETRY,
      pollIntervalMs: HOUR,
      batchSize: 2,
      maxBatchSize: 2,
      turns,
      priority: 'background',
    }),
  );
  for (const type of ['One', 'Two', 'Three']) await store.write(`${category}-${randomUUID()}`, message(type));
  foreground.start(); // held in its first message: busy
  background.start();
  await waitUntil('the full batch applied while the foreground is busy', () => applied.length >= 2);
  t.deepEqual(applied, ['One', 'Two'], 'a full batch of two: not held');
  await waitUntil('the short batch read', () => readThird);
  // Unheld, it would be applied within these turns of the event loop.
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(applied, ['One', 'Two'], 'the short batch after it, read, waits');
  release();
  await waitUntil('the short batch applied once the foreground is idle', () => applied.length === 3);
  t.pass('applied once the foreground caught up');
});
