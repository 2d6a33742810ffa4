import { randomUUID } from 'node:crypto';
import pg from 'pg';
import test from 'tape';
import type { RawMessage } from '../../src/message-store/index.ts';
import { ALL_CATEGORIES } from '../../src/subscription/subscription.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { createScope, type Scope } from '../helpers/scope.ts';
import { componentSubscriber } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/** Another program's connection that writes inside a transaction it keeps open. */
async function openWriter(scope: Scope, url: string): Promise<pg.Client> {
  const client = scope.add(new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' }), (c) => c.end());
  await client.connect();
  return client;
}

async function writeIn(client: pg.Client, stream: string, type: string): Promise<void> {
  await client.query(`SELECT write_message($1, $2, $3, '{}')`, [randomUUID(), stream, type]);
}

test('reading all categories: a message whose transaction commits late is never skipped', async (t) => {
  const scope = createScope();
  try {
    const { store, urls } = await openTestStore(scope);
    const reader = store.allMessagesReader({ graceMs: 0 });
    await store.write(`${uniqueCategory()}-1`, message('Before'));
    const slow = await openWriter(scope, urls.messageStoreUrl);
    await slow.query('BEGIN');
    await writeIn(slow, `${uniqueCategory()}-1`, 'Late'); // holds a global position, not yet visible
    await store.write(`${uniqueCategory()}-1`, message('After1'));
    await store.write(`${uniqueCategory()}-1`, message('After2'));

    const first = await reader.read(1, 100);
    t.deepEqual(first.messages.map((m) => m.type), ['Before'], 'it stops at the position still in flight');
    t.ok(first.waiting, 'and says it is waiting there');
    const again = await reader.read(2, 100);
    t.deepEqual(again.messages.map((m) => m.type), [], 'however often it is asked');

    await slow.query('COMMIT');
    const after = await reader.read(2, 100);
    t.deepEqual(after.messages.map((m) => m.type), ['Late', 'After1', 'After2'], 'once it commits, everything in global order');
    t.notOk(after.waiting);
  } finally {
    await scope.close();
  }
});

test('reading all categories: a position left by a rolled-back write is passed once no older transaction is running', async (t) => {
  const scope = createScope();
  try {
    const { store, urls } = await openTestStore(scope);
    const reader = store.allMessagesReader({ graceMs: 0 });
    const aborted = await openWriter(scope, urls.messageStoreUrl);
    await aborted.query('BEGIN');
    await writeIn(aborted, `${uniqueCategory()}-1`, 'Never');
    await store.write(`${uniqueCategory()}-1`, message('Kept'));
    t.deepEqual((await reader.read(1, 100)).messages, [], 'held while the writer may still commit');
    await aborted.query('ROLLBACK');
    const read = await reader.read(1, 100);
    t.deepEqual(read.messages.map((m) => m.type), ['Kept'], 'passed once it cannot');
  } finally {
    await scope.close();
  }
});

test('reading all categories: a subscription to every category sees a late commit in its place', async (t) => {
  const scope = createScope();
  try {
    const { store, urls } = await openTestStore(scope);
    const seen: RawMessage[] = [];
    const subscription = scope.running(componentSubscriber(store, ALL_CATEGORIES, async (m) => void seen.push(m), { subscriberId: 'components:test:all', pollIntervalMs: 50 }));
    subscription.start();
    const slow = await openWriter(scope, urls.messageStoreUrl);
    await slow.query('BEGIN');
    await writeIn(slow, `${uniqueCategory()}-1`, 'Late');
    for (let n = 0; n < 5; n += 1) await store.write(`${uniqueCategory()}-1`, message('Quick'));
    await waitUntil('the subscription to wait at the gap', () => subscription.status().caughtUp === false && seen.length === 0);
    await slow.query('COMMIT');
    await waitUntil('every message', () => seen.filter((m) => !m.streamName.startsWith('subscriberPosition')).length === 6);
    const ours = seen.filter((m) => !m.streamName.startsWith('subscriberPosition'));
    t.deepEqual(ours.map((m) => m.type), ['Late', 'Quick', 'Quick', 'Quick', 'Quick', 'Quick'], 'the late message first, in its place');
    const positions = seen.map((m) => m.globalPosition);
    t.deepEqual(positions, [...positions].sort((a, b) => a - b), 'in global order');
  } finally {
    await scope.close();
  }
});
