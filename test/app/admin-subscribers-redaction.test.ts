import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { dashboardSection } from '../../src/app/admin/dashboard/index.ts';
import { subscribersSection } from '../../src/app/admin/subscribers/index.ts';
import { adminSectionApp } from '../helpers/admin-section-app.ts';
import { message } from '../helpers/message-store.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { systemWithFailingSubscribers } from '../fixtures/failing-subscribers.ts';

test('admin subscribers and dashboard: a failure’s error text is shown with addresses masked, as parked errors are', async (t) => {
  const { system, running, stalls, parks, broken, failing } = await systemWithFailingSubscribers(t, {
    stallWith: 'duplicate key: jane.doe@example.com is taken',
    parkWith: '550 mailbox john.smith@example.org unavailable',
  });
  const store = system.messageStore;
  const { app, admin } = await adminSectionApp(system, [dashboardSection, subscribersSection], {
    subscriptions: [...system.subscriptions, ...running],
    subscriberStatus: () => running.map((subscription) => subscription.status()),
  });
  await store.write(`${broken}-1`, message('Applied'));
  await store.write(`${failing}-${randomUUID()}`, message('SendIt'));
  for (const subscription of running) subscription.start();
  await waitUntil('the aggregator to stall', () => stalls.status().state === 'stalled');
  await waitUntil('the message to be parked', () => parks.status().parked === 1);

  const subscribers = (await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200)).text;
  const dashboard = (await request(app).get('/admin').set('cookie', admin.cookie).expect(200)).text;
  for (const [page, text] of [
    ['subscribers', subscribers],
    ['dashboard', dashboard],
  ] as const) {
    t.notOk(text.includes('jane.doe@example.com'), `${page}: the stalled aggregator’s error shows no address`);
    t.match(text, /duplicate key: j•••@example\.com is taken/, `${page}: the rest of it is there, the address masked`);
  }
  t.notOk(subscribers.includes('john.smith@example.org'), 'subscribers: the last parked error shows no address');
  t.match(subscribers, /550 mailbox j•••@example\.org unavailable/, 'and the rest of it is there');
});
