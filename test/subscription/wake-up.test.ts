import { randomUUID } from 'node:crypto';
import test from 'tape';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { createScope } from '../helpers/scope.ts';
import { componentSubscriber } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const TEN_MINUTES = 10 * 60_000;

test('wake-ups: an idle subscriber polling every 10 minutes is woken at once by a write in its own process', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const handled: string[] = [];
    const subscription = scope.running(componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }));
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    const written = message('Wake');
    await store.write(`${category}-${randomUUID()}`, written);
    await waitUntil('the woken subscriber to handle the message', () => handled.includes(written.id), { timeoutMs: 10_000 });
    t.deepEqual(handled, [written.id], 'handled long before the next poll');
  } finally {
    await scope.close();
  }
});

test('wake-ups: a write by another process wakes an idle subscriber here', async (t) => {
  const scope = createScope();
  try {
    const { store, urls } = await openTestStore(scope);
    const { store: otherProcess } = await openTestStore(scope, urls);
    const category = uniqueCategory();
    const handled: string[] = [];
    const subscription = scope.running(componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: TEN_MINUTES }));
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    const written = message('Wake');
    await otherProcess.write(`${category}-${randomUUID()}`, written);
    await waitUntil('the subscriber to hear of the other process\'s write', () => handled.includes(written.id), { timeoutMs: 10_000 });
    t.deepEqual(handled, [written.id], 'handled long before the next poll');
  } finally {
    await scope.close();
  }
});
