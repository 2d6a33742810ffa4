import { randomUUID } from 'node:crypto';
import test from 'tape';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { componentSubscriber } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

test('subscription: an idle subscriber polling every 10 minutes is woken by a write at once', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const category = uniqueCategory();
    const handled: string[] = [];
    const subscription = componentSubscriber(store, category, async (m) => void handled.push(m.id), { pollIntervalMs: 10 * 60_000 });
    subscription.start();
    await waitUntil('the subscriber to go idle', () => subscription.status().caughtUp);
    const written = message('Wake');
    await store.write(`${category}-${randomUUID()}`, written);
    await waitUntil('the notified subscriber to handle the message', () => handled.includes(written.id), { timeoutMs: 10_000 });
    t.deepEqual(handled, [written.id], 'handled long before the next poll');
    await subscription.stop();
  } finally {
    await close();
  }
});
