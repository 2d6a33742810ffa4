import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { componentPositionStream } from '../../src/subscription/component-processor.ts';
import { message, openTestStore, uniqueCategory, writeMany } from '../helpers/message-store.ts';
import {
  aggregatorSubscriber,
  componentSubscriber,
  countInTally,
  createSeenTable,
  createTally,
  drain,
  openProjectionDb,
  recordSeen,
  tallied,
} from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const positionsOf = async (store: MessageStore, stream: string) =>
  (await store.readStream(stream)).map((m) => (m.data as { position: number }).position);

scopedTest(
  'component subscription: checkpoints every N, when caught up and on stop; resumes after restart',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    await writeMany(store, category, 250);
    const seen: number[] = [];
    const handle = async (m: RawMessage) => void seen.push((m.data as { n: number }).n);

    const first = scope.running(
      componentSubscriber(store, category, handle, { batchSize: 250, positionUpdateInterval: 100 }),
    );
    t.equal(await first.tick(), 250, 'one tick reads the batch');
    t.equal(
      (await positionsOf(store, componentPositionStream(first.subscriberId))).length,
      2,
      'a checkpoint after each 100 messages',
    );
    t.equal(await first.tick(), 0, 'caught up');
    t.equal(first.status().checkpoint, first.status().position, 'caught up stores the position');
    await first.stop();

    const second = scope.running(componentSubscriber(store, category, handle, { batchSize: 250 }));
    await drain(second);
    t.equal(seen.length, 250, 'a restart after a clean stop redelivers nothing');
    await writeMany(store, category, 5);
    await drain(second);
    t.deepEqual(seen.slice(250), [0, 1, 2, 3, 4], 'and goes on with new messages only');
  },
);

scopedTest('component subscription: a crash redelivers at most one checkpoint interval', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  await writeMany(store, category, 150);
  let handled = 0;
  const crashed = componentSubscriber(store, category, async () => void (handled += 1), {
    batchSize: 150,
    positionUpdateInterval: 100,
  });
  await crashed.tick(); // 150 handled, position stored at the 100th; then "crash" without stop()

  let redelivered = 0;
  const restarted = scope.running(
    componentSubscriber(store, category, async () => void (redelivered += 1), { batchSize: 150 }),
  );
  await drain(restarted);
  t.equal(handled, 150);
  t.equal(redelivered, 50, 'only the messages after the last checkpoint come again');
});

scopedTest(
  'aggregator subscription: position commits with the projection, so a restart resumes exactly',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createSeenTable(db);
    const category = uniqueCategory();
    await writeMany(store, category, 120);
    const first = scope.running(aggregatorSubscriber(store, db, category, recordSeen, { batchSize: 50 }));
    await first.tick();
    await first.tick();
    t.equal(first.status().position, first.status().checkpoint, 'every applied batch is checkpointed');
    // No stop(): as if the process died here. The primary key on `seen` fails any re-application.
    const second = scope.running(aggregatorSubscriber(store, db, category, recordSeen, { batchSize: 50 }));
    await drain(second);
    t.equal(second.status().state, 'starting', 'ticks alone do not start the loop');
    t.equal(second.status().failure, undefined, 'nothing was applied twice');
    const row = await db('seen').count<{ count: string }>('* as count').first();
    t.equal(Number(row?.count), 120, 'each message applied exactly once');
  },
);

scopedTest('subscription: graceful stop finishes the message in hand and checkpoints it', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  await writeMany(store, category, 3);
  let release!: () => void;
  const inHand = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const started = new Promise<void>((resolve) => (entered = resolve));
  const finished: number[] = [];
  const subscription = scope.running(
    componentSubscriber(store, category, async (m) => {
      entered();
      await inHand;
      finished.push((m.data as { n: number }).n);
    }),
  );
  // Nothing may hold the test forever if the handler is never entered.
  scope.add(undefined, () => release());
  subscription.start();
  await started;
  const stopping = subscription.stop();
  release();
  await stopping;
  t.deepEqual(finished, [0], 'the message in hand finished; no new one started');
  t.equal(subscription.status().state, 'stopped');
  const last = await store.readLastMessage(componentPositionStream(subscription.subscriberId));
  t.equal(
    (last?.data as { position: number }).position,
    subscription.status().position,
    'its position was stored on stop',
  );
});

scopedTest('subscription: a stop that arrives during a read does not apply the batch read', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await createTally(db);
  const category = uniqueCategory();
  await writeMany(store, category, 3);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  scope.add(undefined, () => release());
  let reading!: () => void;
  const readStarted = new Promise<void>((resolve) => (reading = resolve));
  const slowStore = {
    ...store,
    async readCategory(...args: Parameters<typeof store.readCategory>) {
      const batch = await store.readCategory(...args);
      reading();
      await gate;
      return batch;
    },
  };
  // An aggregator applies a whole batch in one transaction: only the stop check keeps it out.
  const subscription = scope.running(aggregatorSubscriber(slowStore, db, category, countInTally));
  subscription.start();
  await readStarted;
  const stopping = subscription.stop();
  release();
  await stopping;
  t.equal(await tallied(db), 0, 'the batch that arrived after stop() was left for the next start');
  t.equal(subscription.status().position, 0, 'and the position did not move');
});

scopedTest(
  'aggregator subscription: two copies of one aggregator reading at once apply each message once (the position row lock)',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createTally(db);
    const category = uniqueCategory();
    await writeMany(store, category, 300);
    // Both read from the same stored position at the same time; a counting projection shows any double application.
    const options = { subscriberId: `aggregators:test:${category}`, batchSize: 7 };
    const copies = [0, 1].map(() => scope.running(aggregatorSubscriber(store, db, category, countInTally, options)));
    await Promise.all(copies.map((copy) => drain(copy)));
    t.equal(await tallied(db), 300, 'each of 300 messages counted once');
  },
);

scopedTest(
  'component subscriptions: members of a consumer group share one subscriber id, keep their own positions, and miss nothing',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const subscriberId = `components:test:${category}`;
    const byMember: RawMessage[][] = [[], []];
    const members = [0, 1].map((member) =>
      scope.running(
        componentSubscriber(store, category, async (m) => void byMember[member]!.push(m), {
          subscriberId,
          consumerGroup: { member, size: 2 },
          batchSize: 5,
          positionUpdateInterval: 3,
        }),
      ),
    );
    for (let n = 0; n < 40; n += 1) {
      await store.write(`${category}-${randomUUID()}`, message('Tick', { n }));
      // Interleave the members' reads with the writes, as two running processes would.
      if (n % 7 === 0) for (const member of members) await member.tick();
    }
    for (const member of members) await drain(member);
    await Promise.all(members.map((member) => member.stop()));
    const ids = byMember.flat().map((m) => m.id);
    t.equal(ids.length, 40, 'the two members handle every message between them');
    t.equal(new Set(ids).size, 40, 'and none twice');
    t.ok(
      byMember.every((handled) => handled.length > 0),
      'both members take part',
    );
    const streams = [0, 1].map((member) => componentPositionStream(subscriberId, { member, size: 2 }));
    t.notEqual(streams[0], streams[1], 'each member has its own position stream');

    // Restarted, neither member handles anything again.
    const again = [0, 1].map((member) =>
      scope.running(
        componentSubscriber(store, category, async (m) => void byMember[member]!.push(m), {
          subscriberId,
          consumerGroup: { member, size: 2 },
        }),
      ),
    );
    for (const member of again) await drain(member);
    t.equal(byMember.flat().length, 40, 'a restart redelivers nothing');
  },
);

scopedTest('component subscriptions: correlation filters in the store', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  for (let n = 0; n < 40; n += 1) {
    await store.write(
      `${category}-${randomUUID()}`,
      message('Tick', { n }, n % 4 === 0 ? { correlationStreamName: `identity-${n}` } : {}),
    );
  }
  const correlated: RawMessage[] = [];
  await drain(
    scope.running(
      componentSubscriber(store, category, async (m) => void correlated.push(m), { correlation: 'identity' }),
    ),
  );
  t.equal(correlated.length, 10, 'only the messages correlated with identity are delivered');
});

scopedTest(
  'subscriptions: a second running copy of one member stands by, and takes over when the first stops',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    // Another process: its own pool and session connection.
    const { store: otherStore } = await openTestStore(scope, urls);
    const category = uniqueCategory();
    const handled: string[] = [];
    const handle = async (m: RawMessage) => void handled.push(m.id);
    const subscriberId = `components:test:${category}`;
    const first = scope.running(componentSubscriber(store, category, handle, { subscriberId, pollIntervalMs: 50 }));
    first.start();
    await waitUntil('the first copy to run', () => first.status().state === 'running');

    const sameProcess = scope.running(
      componentSubscriber(store, category, handle, { subscriberId, pollIntervalMs: 50 }),
    );
    sameProcess.start();
    await waitUntil('a copy in the same process to stand by', () => sameProcess.status().state === 'standby');
    t.match(sameProcess.status().standbyReason ?? '', /already runs in this process/, 'it says why');
    await sameProcess.stop();

    const second = scope.running(
      componentSubscriber(otherStore, category, handle, { subscriberId, pollIntervalMs: 50 }),
    );
    second.start();
    await waitUntil('a copy in another process to stand by', () => second.status().state === 'standby');
    t.match(second.status().standbyReason ?? '', /another process runs member 0 of 1/, 'it names the member');

    const otherSize = scope.running(
      componentSubscriber(otherStore, category, handle, {
        subscriberId,
        pollIntervalMs: 50,
        consumerGroup: { member: 1, size: 2 },
      }),
    );
    otherSize.start();
    await waitUntil('a member of another group size to stand by', () => otherSize.status().state === 'standby');
    t.match(
      otherSize.status().standbyReason ?? '',
      /every member must use one group size/,
      'overlapping shares are refused',
    );
    await otherSize.stop();

    await writeMany(store, category, 5);
    await waitUntil('the first copy to handle the messages', () => handled.length === 5);
    await first.stop();
    await waitUntil('the standby to take over', () => second.status().state === 'running');
    await writeMany(store, category, 3);
    await waitUntil('the new runner to handle new messages', () => handled.length === 8);
    t.equal(new Set(handled).size, 8, 'each message handled once across the hand-over');
  },
);

scopedTest(
  'aggregator subscription: once its position row exists, a batch locks and reads it in one statement',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createTally(db);
    const category = uniqueCategory();
    const subscription = scope.running(aggregatorSubscriber(store, db, category, countInTally));
    const statements: string[] = [];
    const onQuery = ({ sql }: { sql: string }) => {
      if (sql.includes('subscriber_positions')) statements.push(sql.split(' ')[0]!.toLowerCase());
    };
    db.on('query', onQuery);
    scope.add(db, (knex) => knex.off('query', onQuery));

    await writeMany(store, category, 3);
    await subscription.tick();
    const first = statements.splice(0);
    // The batch was short, so the tick ends caught up, and the first catch-up looks at the stored
    // position again (an operator may move it; later ones look only now and then).
    t.deepEqual(
      first,
      ['select', 'select', 'insert', 'select', 'update', 'select'],
      "a member's first batch: its position read, then the lock finds no row, makes it and locks it",
    );
    await writeMany(store, category, 3);
    t.equal(await subscription.tick(), 3, 'the next batch is applied');
    t.deepEqual(statements, ['select', 'update'], 'with one statement to lock and read the position, one to store it');
    t.equal(await tallied(db), 6, 'and both batches counted');
  },
);

scopedTest('aggregator subscription: an operator moving the position back is honoured', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await createTally(db);
  const category = uniqueCategory();
  await writeMany(store, category, 20);
  const subscription = scope.running(aggregatorSubscriber(store, db, category, countInTally, { pollIntervalMs: 50 }));
  subscription.start();
  await waitUntil('the first pass', async () => (await tallied(db)) === 20 && subscription.status().caughtUp);
  // An operator rebuilds: clears the projection and moves the position back, in one transaction.
  await db.transaction(async (trx) => {
    await trx('tally').update({ n: 0 });
    await trx('subscriber_positions').where({ subscriber_id: subscription.subscriberId }).update({ position: 0 });
  });
  // No new message: the idle subscriber notices on its next poll.
  await waitUntil(
    'the replay from the start',
    async () => (await tallied(db)) === 20 && subscription.status().position > 0,
  );
  t.equal(await tallied(db), 20, 'every message applied again, once');
  await writeMany(store, category, 1);
  await waitUntil('the next message', async () => (await tallied(db)) === 21);
});

scopedTest('component subscription: an operator writing an earlier position is honoured', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  await writeMany(store, category, 10);
  const handled: RawMessage[] = [];
  const subscription = scope.running(
    componentSubscriber(store, category, async (m) => void handled.push(m), { pollIntervalMs: 50 }),
  );
  subscription.start();
  await waitUntil(
    'the first pass',
    () => handled.length === 10 && subscription.status().caughtUp && subscription.status().checkpoint > 0,
  );
  await store.write(componentPositionStream(subscription.subscriberId), message('Read', { position: 0 }));
  await waitUntil('the replay', () => handled.length === 20);
  t.deepEqual(
    handled.slice(10).map((m) => m.id),
    handled.slice(0, 10).map((m) => m.id),
    'the same ten messages again, in order',
  );
});

scopedTest('membership: two claims of one member at the same instant in one process: one wins', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const id = `components:test:${uniqueCategory()}`;
  const results = await Promise.all([
    store.membership.claim(id, { member: 0, size: 1 }),
    store.membership.claim(id, { member: 0, size: 1 }),
  ]);
  t.deepEqual(results.map((result) => result.ok).sort(), [false, true], 'exactly one claim succeeds');
  for (const result of results) if (result.ok) await result.claim.release();
  const again = await store.membership.claim(id, { member: 0, size: 1 });
  t.ok(again.ok, 'after release the member is free');
  if (again.ok) await again.claim.release();
});

scopedTest(
  'subscriptions: a member whose session connection is lost stops at once, and a standby takes over',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const { store: otherStore } = await openTestStore(scope, urls);
    const category = uniqueCategory();
    const subscriberId = `components:test:${category}`;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    scope.add(undefined, () => release());
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const byFirst: number[] = [];
    const first = scope.running(
      componentSubscriber(
        store,
        category,
        async (m) => {
          entered();
          await gate;
          byFirst.push((m.data as { n: number }).n);
        },
        { subscriberId, pollIntervalMs: 50 },
      ),
    );
    first.start();
    await waitUntil('the first to run', () => first.status().state === 'running');
    const bySecond: number[] = [];
    const second = scope.running(
      componentSubscriber(otherStore, category, async (m) => void bySecond.push((m.data as { n: number }).n), {
        subscriberId,
        pollIntervalMs: 50,
      }),
    );
    second.start();
    await waitUntil('the second to stand by', () => second.status().state === 'standby');
    await writeMany(store, category, 3);
    await inHandler;
    // The first process's session connection dies (its advisory lock with it).
    // Member 0 of 1 is advisory lock (subscriber hash, 65536): only the first's session holds it.
    const admin = scope.add(new pg.Client({ connectionString: urls.messageStoreUrl }), (client) => client.end());
    await admin.connect();
    // Only this test's database: other runs on the same server hold members of their own.
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 2 AND objid = 65536 AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    t.equal(killed.rowCount, 1, 'one session held the member');
    await waitUntil('the standby to take over', () => second.status().state === 'running');
    release();
    await waitUntil('the rest handled by the new runner', () => bySecond.includes(2));
    t.deepEqual(byFirst, [0], 'the first finished the message in hand and started no other');
    t.ok(bySecond.includes(1) && bySecond.includes(2), 'the new runner handled the rest');
  },
);

scopedTest(
  'component subscriptions: a new group size goes on from where the last size stopped, not from the start',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const subscriberId = `components:test:${category}_x%`; // LIKE's special characters in the id are taken literally
    const handled: number[] = [];
    const handle = async (m: RawMessage) => void handled.push((m.data as { n: number }).n);
    await writeMany(store, category, 20);
    const alone = scope.running(componentSubscriber(store, category, handle, { subscriberId }));
    await drain(alone);
    await alone.stop();
    t.equal(handled.length, 20, 'one member alone handled the first 20');

    for (let n = 20; n < 30; n += 1) await store.write(`${category}-${randomUUID()}`, message('Tick', { n }));
    const members = [0, 1].map((member) =>
      scope.running(componentSubscriber(store, category, handle, { subscriberId, consumerGroup: { member, size: 2 } })),
    );
    for (const member of members) await drain(member);
    t.deepEqual(
      handled.slice(20).sort((a, b) => a - b),
      [20, 21, 22, 23, 24, 25, 26, 27, 28, 29],
      'the group of two handles only what came after',
    );
  },
);
