import { randomUUID } from 'node:crypto';
import test from 'tape';
import { z } from 'zod';
import { createDispatcher, parseMessage } from '../../src/contracts/parse.ts';
import { type RawMessage } from '../../src/message-store/index.ts';
import { parkedData } from '../../src/subscription/component-processor.ts';
import type { BatchProjection } from '../../src/subscription/projection-batch.ts';
import { backoffDelay } from '../../src/subscription/retry.ts';
import { MAX_TIMER_MS } from '../../src/config/defaults.ts';
import { createSubscription } from '../../src/subscription/subscription.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import {
  aggregatorSubscriber,
  componentProcessor,
  componentSubscriber,
  createSeenTable,
  drain,
  openProjectionDb,
  processorContext,
  recordSeen,
} from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const greetSchemas = { Greet: z.object({ name: z.string() }) };

scopedTest('aggregator: a handler that fails for a while is retried and goes on', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await createSeenTable(db);
  const category = uniqueCategory();
  await store.write(`${category}-1`, message('Flaky'));
  // One failure for the whole batch, then two of the three single-message attempts.
  let failuresLeft = 3;
  const subscription = scope.running(
    aggregatorSubscriber(store, db, category, async (m, trx) => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('database hiccup');
      }
      await recordSeen(m, trx);
    }),
  );
  subscription.start();
  await waitUntil('the flaky message to be applied', async () => (await db('seen').first()) !== undefined);
  const status = subscription.status();
  t.equal(status.state, 'running', 'still running');
  t.equal(status.retries, 2, 'retried with backoff until it succeeded');
  t.equal(status.failure, undefined, 'no failure recorded');
});

scopedTest(
  'aggregator: a handler that keeps failing on valid data stalls only its own subscriber, at that message',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createSeenTable(db);
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Good'));
    await store.write(`${category}-2`, message('Poison'));
    await store.write(`${category}-3`, message('Good'));
    const [, poison] = await store.readCategory(category);

    const failing = scope.running(
      aggregatorSubscriber(store, db, category, async (m, trx) => {
        if (m.type === 'Poison') throw new Error('cannot apply this');
        await recordSeen(m, trx);
      }),
    );
    const counted: RawMessage[] = [];
    const healthy = scope.running(componentSubscriber(store, category, async (m) => void counted.push(m)));
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
    t.deepEqual(
      seen.map((row: { type: string }) => row.type),
      ['Good'],
      'what came before it was applied, nothing after',
    );

    await waitUntil('the other subscriber to read everything', () => counted.length === 3);
    t.equal(healthy.status().state, 'running', 'the other subscriber carries on');
    await store.write(`${category}-4`, message('Good'));
    await waitUntil('the other subscriber to keep reading', () => counted.length === 4);
    await failing.stop();
    t.equal(failing.status().state, 'stalled', 'a stalled subscriber stays visibly stalled');
  },
);

scopedTest(
  'aggregator: data that breaks its contract is skipped, recorded and counted, and never stops it',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createSeenTable(db);
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Greet', { name: 'Ada' }));
    await store.write(`${category}-legacy`, message('Greet', { name: 42 }));
    await store.write(`${category}-2`, message('Greet', { name: 'Grace' }));
    const [, bad] = await store.readCategory(category);
    // As a real projection does it: parse checks the contract, apply gets only what passed.
    const projection: BatchProjection<RawMessage> = {
      parse: (m) => parseMessage(greetSchemas, m),
      async apply(greetings, trx) {
        for (const greeting of greetings) await recordSeen(greeting, trx);
      },
    };
    const subscriberId = `aggregators:test:${category}`;
    const subscription = scope.running(aggregatorSubscriber(store, db, category, projection, { subscriberId }));
    await drain(subscription);
    t.equal((await db('seen').select()).length, 2, 'both valid messages applied');
    const status = subscription.status();
    t.equal(status.failure, undefined, 'no failure');
    t.equal(status.retries, 0, 'no retries: no retry can mend data');
    t.equal(status.skipped, 1, 'one skipped');
    t.equal(status.lastSkipped?.messageId, bad!.id, 'the status names it');
    const records = await db('skipped_messages').select();
    t.equal(records.length, 1, 'one record an operator can see');
    t.equal(records[0].message_id, bad!.id);
    t.equal(records[0].stream_name, `${category}-legacy`);
    t.match(records[0].reason, /name/, 'with the reason');

    // A restart from scratch (as after an operator's reset) skips it again without a second record.
    await db('seen').del();
    await db('subscriber_positions').where({ subscriber_id: subscriberId }).update({ position: 0 });
    const again = scope.running(aggregatorSubscriber(store, db, category, projection, { subscriberId }));
    await drain(again);
    t.equal((await db('skipped_messages').select()).length, 1, 'still one record');
    t.equal(again.status().skipped, 0, 'and nothing newly skipped');
  },
);

scopedTest(
  'component: a message that keeps failing is parked as a reference with its error, and the rest go on',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const poisonId = randomUUID();
    await store.write(`${category}-1`, {
      ...message('Poison', { secret: 'not copied' }, { traceId: 'trace-p' }),
      id: poisonId,
    });
    await store.write(`${category}-2`, message('Good'));
    const [poison] = await store.readStream(`${category}-1`);
    const handled: string[] = [];
    const subscription = scope.running(
      componentSubscriber(store, category, async (m) => {
        if (m.type === 'Poison') throw new Error('always fails');
        handled.push(m.type);
      }),
    );
    subscription.start();
    await waitUntil('the good message after the poison one', () => handled.length === 1);
    const status = subscription.status();
    t.equal(status.state, 'running', 'still running');
    t.equal(status.parked, 1, 'one parked');
    t.equal(status.failure?.messageId, poisonId, 'the status names the parked message');

    const parked = await store.readStream(`deadLetter-${subscription.subscriberId}`);
    t.equal(parked.length, 1, 'the dead-letter stream holds it');
    const data = parkedData.parse(parked[0]!.data);
    t.deepEqual(
      data.message,
      {
        id: poisonId,
        streamName: `${category}-1`,
        position: 0,
        globalPosition: poison!.globalPosition,
        type: 'Poison',
      },
      'a reference to the original: stream, position, global position',
    );
    t.notOk(JSON.stringify(parked[0]!.data).includes('not copied'), 'not a copy of its data');
    t.match(data.error, /always fails/, 'the error');
    t.equal(data.attempts, 3, 'and how often it was tried');
    t.equal(parked[0]!.metadata.traceId, 'trace-p', 'the trace carries on');
    t.equal(parked[0]!.metadata.causationMessageStreamName, `${category}-1`, 'caused by the original');
  },
);

scopedTest(
  'component: data that breaks its contract is parked at once with the reason, not retried',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Greet', { name: 42 }));
    await store.write(`${category}-2`, message('Greet', { name: 'Ada' }));
    const greeted: string[] = [];
    const handle = createDispatcher(greetSchemas, {
      async Greet(m) {
        greeted.push(m.data.name);
      },
    });
    const subscription = scope.running(componentSubscriber(store, category, handle));
    subscription.start();
    await waitUntil('the valid message', () => greeted.length === 1);
    t.deepEqual(greeted, ['Ada']);
    t.equal(subscription.status().retries, 0, 'no retries for bad data');
    t.equal(subscription.status().failure?.attempts, 1);
    const [parked] = await store.readStream(`deadLetter-${subscription.subscriberId}`);
    t.match(parkedData.parse(parked?.data).error, /MessageDataError.*name/, 'the parked record says which field');
  },
);

scopedTest(
  'component: a parked message is parked once however often it is redelivered, replayed by reference, and parked again if the replay fails',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    await store.write(`${category}-1`, message('Fragile', { n: 1 }));
    let working = false;
    const handled: RawMessage[] = [];
    const processor = componentProcessor(store, category, async (m) => {
      if (!working) throw new Error('not yet');
      handled.push(m);
    });
    const batch = await store.readCategory(category);
    const context = processorContext();
    await processor.process(batch, 0, context);
    await processor.process(batch, 0, context); // redelivered after a crash
    let parked = await store.readStream(processor.deadLetterStream);
    t.equal(parked.filter((m) => m.type === 'Parked').length, 1, 'a redelivery does not park twice');

    t.equal(await processor.replay(parked[0]!, context), 'parked again', 'a replay that fails again...');
    parked = await store.readStream(processor.deadLetterStream);
    t.equal(parked.filter((m) => m.type === 'Parked').length, 2, '...is parked anew');
    t.equal(parked.filter((m) => m.type === 'Replayed').length, 1, 'and the replay is on record');

    working = true;
    t.equal(
      await processor.replay(parked.at(-1)!, context),
      'handled',
      'once the handler is mended, a replay handles it',
    );
    t.deepEqual(
      handled.map((m) => m.data),
      [{ n: 1 }],
      'the original message, read back by its reference',
    );
  },
);

/** What pg raises when the server is shutting down (SQLSTATE 57P01). */
function adminShutdown(): Error {
  return Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
}

scopedTest('aggregator: a database outage longer than every retry does not stall it', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await createSeenTable(db);
  const category = uniqueCategory();
  await store.write(`${category}-1`, message('Good'));
  let outage = 10; // more failures than FAST_RETRY's three attempts
  const subscription = scope.running(
    aggregatorSubscriber(store, db, category, async (m, trx) => {
      if (outage > 0) {
        outage -= 1;
        throw adminShutdown();
      }
      await recordSeen(m, trx);
    }),
  );
  subscription.start();
  await waitUntil(
    'the message to be applied once the database is back',
    async () => (await db('seen').first()) !== undefined,
  );
  t.equal(subscription.status().state, 'running', 'it waited the outage out instead of stalling');
  t.equal(subscription.status().failure, undefined, 'and blamed no message');
});

scopedTest('component: a database outage does not park innocent messages', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  await store.write(`${category}-1`, message('Good'));
  let outage = 10;
  const handled: string[] = [];
  const subscription = scope.running(
    componentSubscriber(store, category, async (m) => {
      if (outage > 0) {
        outage -= 1;
        throw adminShutdown();
      }
      handled.push(m.id);
    }),
  );
  subscription.start();
  await waitUntil('the message to be handled once the database is back', () => handled.length === 1);
  t.equal(subscription.status().parked, 0, 'nothing parked');
  t.equal(
    (await store.readStream(`deadLetter-${subscription.subscriberId}`)).length,
    0,
    'the dead-letter stream is empty',
  );
});

test('retries: backoff doubles up to its cap, with jitter between half and all of it', (t) => {
  const policy = { attempts: 10, initialDelayMs: 100, maxDelayMs: 1_000 };
  t.equal(
    backoffDelay(policy, 1, () => 1),
    100,
    'first retry: at most the initial delay',
  );
  t.equal(
    backoffDelay(policy, 1, () => 0),
    50,
    'and at least half of it',
  );
  t.equal(
    backoffDelay(policy, 3, () => 1),
    400,
    'doubling',
  );
  t.equal(
    backoffDelay(policy, 9, () => 1),
    1_000,
    'capped',
  );
  const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(policy, 4)));
  t.ok(delays.size > 1, 'two subscribers failing together do not retry in step');
  t.end();
});

scopedTest('subscription: a poll interval Node cannot time (above 2^31-1 ms) is refused', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const processor = componentProcessor(store, 'any', async () => undefined);
  const make = (pollIntervalMs: number) => () =>
    createSubscription({
      messageStore: store,
      logger: silentLogger,
      subscriberId: 'x',
      category: 'any',
      processor,
      pollIntervalMs,
    });
  t.throws(make(MAX_TIMER_MS + 1), /poll interval/, 'refused');
  t.doesNotThrow(make(MAX_TIMER_MS), 'the largest is accepted');
});
