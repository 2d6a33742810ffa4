import { randomUUID } from 'node:crypto';
import pg from 'pg';
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
