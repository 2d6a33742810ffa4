import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createAllMessagesReader } from '../../src/message-store/read-all.ts';
import { ALL_CATEGORIES } from '../../src/subscription/subscription.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import {
  aggregatorSubscriber,
  componentSubscriber,
  createSeenTable,
  openProjectionDb,
  recordSeen,
} from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** Another program's connection that writes inside a transaction it keeps open. */
async function openWriter(scope: Scope, url: string): Promise<pg.Client> {
  const client = scope.add(
    new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' }),
    (c) => c.end(),
  );
  await client.connect();
  return client;
}

async function writeIn(client: pg.Client, stream: string, type: string): Promise<void> {
  await client.query(`SELECT write_message($1, $2, $3, '{}')`, [randomUUID(), stream, type]);
}

scopedTest('reading all categories: a message whose transaction commits late is never skipped', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const reader = store.allMessagesReader();
  await store.write(`${uniqueCategory()}-1`, message('Before'));
  const slow = await openWriter(scope, urls.messageStoreUrl);
  await slow.query('BEGIN');
  await writeIn(slow, `${uniqueCategory()}-1`, 'Late'); // holds a global position, not yet visible
  await store.write(`${uniqueCategory()}-1`, message('After1'));
  await store.write(`${uniqueCategory()}-1`, message('After2'));

  const first = await reader.read(1, 100);
  t.deepEqual(
    first.messages.map((m) => m.type),
    ['Before'],
    'it stops at the position still in flight',
  );
  t.ok(first.waiting, 'and says it is waiting there');
  const again = await reader.read(2, 100);
  t.deepEqual(
    again.messages.map((m) => m.type),
    [],
    'however often it is asked',
  );

  await slow.query('COMMIT');
  const after = await waitUntil('the reader to move on', async () => {
    const attempt = await reader.read(2, 100);
    return attempt.waiting ? undefined : attempt;
  });
  t.deepEqual(
    after.messages.map((m) => m.type),
    ['Late', 'After1', 'After2'],
    'once it commits, everything in global order',
  );
  t.notOk(after.waiting);
});

scopedTest(
  'reading all categories: a position left by a rolled-back write is passed once its writer has ended',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const reader = store.allMessagesReader();
    const aborted = await openWriter(scope, urls.messageStoreUrl);
    await aborted.query('BEGIN');
    await writeIn(aborted, `${uniqueCategory()}-1`, 'Never');
    await store.write(`${uniqueCategory()}-1`, message('Kept'));
    t.deepEqual((await reader.read(1, 100)).messages, [], 'held while the writer may still commit');
    await aborted.query('ROLLBACK');
    const read = await waitUntil('the reader to pass the gap', async () => {
      const attempt = await reader.read(1, 100);
      return attempt.waiting ? undefined : attempt;
    });
    t.deepEqual(
      read.messages.map((m) => m.type),
      ['Kept'],
      'passed once it cannot',
    );
  },
);

scopedTest(
  'reading all categories: an aggregator of every category sees a late commit in its place',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await createSeenTable(db);
    const subscription = scope.running(
      aggregatorSubscriber(store, db, ALL_CATEGORIES, recordSeen, {
        subscriberId: 'aggregators:test:all',
        pollIntervalMs: 50,
      }),
    );
    subscription.start();
    const slow = await openWriter(scope, urls.messageStoreUrl);
    await slow.query('BEGIN');
    await writeIn(slow, `${uniqueCategory()}-1`, 'Late');
    for (let n = 0; n < 5; n += 1) await store.write(`${uniqueCategory()}-1`, message('Quick'));
    await waitUntil('the aggregator to wait at the gap', () => subscription.status().waitingAtGap);
    t.equal((await db('seen').select()).length, 0, 'nothing past the gap is applied while it may still be filled');
    await slow.query('COMMIT');
    await waitUntil('every message', async () => (await db('seen').select()).length === 6);
    const seen = await db('seen').orderBy('global_position').select<{ type: string }[]>('type');
    t.deepEqual(
      seen.map((row) => row.type),
      ['Late', 'Quick', 'Quick', 'Quick', 'Quick', 'Quick'],
      'the late message first, in its place',
    );
    // Reading everything is for projections: a component would read its own position writes for ever.
    t.throws(
      () => componentSubscriber(store, ALL_CATEGORIES, async () => undefined),
      /only an aggregator/,
      'a component may not',
    );
  },
);

scopedTest('reading all categories: a long transaction in another database holds nothing up', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const reader = store.allMessagesReader();
  // A long migration on the projection database, say: a transaction with an id, left open.
  const elsewhere = scope.add(new pg.Client({ connectionString: urls.databaseUrl }), (c) => c.end());
  await elsewhere.connect();
  await elsewhere.query('BEGIN');
  await elsewhere.query('CREATE TABLE long_running (n int)');
  scope.add(undefined, () => elsewhere.query('ROLLBACK'));
  const aborted = await openWriter(scope, urls.messageStoreUrl);
  await aborted.query('BEGIN');
  await writeIn(aborted, `${uniqueCategory()}-1`, 'Never');
  await aborted.query('ROLLBACK');
  await store.write(`${uniqueCategory()}-1`, message('Kept'));
  const read = await waitUntil('the reader to pass the rolled-back position', async () => {
    const attempt = await reader.read(1, 100);
    return attempt.waiting ? undefined : attempt;
  });
  t.deepEqual(
    read.messages.map((m) => m.type),
    ['Kept'],
    "passed while the other database's transaction is still open",
  );
});

scopedTest(
  'reading all categories: a writer that commits while the reader checks on it is read in its place',
  async (t, scope) => {
    const { pool, urls } = await openTestStore(scope);
    const slow = await openWriter(scope, urls.messageStoreUrl);
    await slow.query('BEGIN');
    await writeIn(slow, `${uniqueCategory()}-1`, 'Late');
    await pool.query(`SELECT write_message(gen_random_uuid()::text, $1, 'Quick', '{}')`, [`${uniqueCategory()}-1`]);
    // The writer commits in the instant between the reader's read and its check on the writer.
    let committed = false;
    const racing = {
      async query(text: string, values: unknown[]) {
        if (text.includes('AS writing') && !committed) {
          committed = true;
          await slow.query('COMMIT');
        }
        return pool.query(text, values);
      },
    } as unknown as pg.Pool;
    const reader = createAllMessagesReader(racing);
    const first = await reader.read(1, 100);
    t.ok(committed, 'the writer committed during the read');
    t.deepEqual(
      first.messages.map((m) => m.type),
      [],
      'rows read before the commit are not passed off as complete',
    );
    const second = await reader.read(1, 100);
    t.deepEqual(
      second.messages.map((m) => m.type),
      ['Late', 'Quick'],
      'the next read has the late message in its place',
    );
  },
);
