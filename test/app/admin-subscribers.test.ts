import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { subscribersSection } from '../../src/app/admin/subscribers/index.ts';
import { IDENTITY_SUBSCRIBER_IDS } from '../../src/components/identity/index.ts';
import { USER_CREDENTIALS_SUBSCRIBER_ID } from '../../src/aggregators/user-credentials/index.ts';
import { ALL_CATEGORIES } from '../../src/subscription/subscription.ts';
import { adminSectionApp } from '../helpers/admin-section-app.ts';
import { message } from '../helpers/message-store.ts';
import { aggregatorSubscriber, drain } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { registerCommand, writeRegister } from '../fixtures/identity-controls.ts';
import { systemWithFailingSubscribers } from '../fixtures/failing-subscribers.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/** A subscriber's row: its cells, tags stripped. */
function rowOf(html: string, subscriberId: string): string[] | undefined {
  const row = new RegExp(`<tr data-subscriber="${subscriberId}">(.*?)</tr>`).exec(html)?.[1];
  return row === undefined
    ? undefined
    : [...row.matchAll(/<td>(.*?)<\/td>/g)].map((cell) =>
        cell[1]!
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim(),
      );
}

test('admin subscribers: visitors are sent to log in, users get 403, admins see every subscriber the system defines', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin, user } = await adminSectionApp(system, [subscribersSection]);
  const visitor = await request(app).get('/admin/subscribers');
  t.equal(visitor.status, 303, 'a visitor is redirected');
  t.match(visitor.headers.location ?? '', /^\/auth\/log-in/, 'to log in');
  t.equal(
    (await request(app).get('/admin/subscribers').set('cookie', user.cookie)).status,
    403,
    'a user without the role → 403',
  );
  const page = await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200);
  for (const subscriberId of new Set(system.subscriptions.map((subscription) => subscription.subscriberId))) {
    t.ok(rowOf(page.text, subscriberId), `${subscriberId} listed`);
  }
});

test('admin subscribers: one that runs elsewhere is measured from its checkpoint against its category’s head', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  // As a web process sees them: it defines every subscriber and runs none.
  const { app, admin } = await adminSectionApp(system, [subscribersSection], { subscriberStatus: () => [] });
  for (let n = 0; n < 3; n += 1) await writeRegister(system.messageStore, registerCommand());
  const [, , last] = await system.messageStore.readCategory('identity:command');
  const commands = rowOf(
    (await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200)).text,
    IDENTITY_SUBSCRIBER_IDS.commands,
  )!;
  t.match(commands[1]!, /identity:command/, 'its category');
  t.match(commands[2]!, /runs elsewhere/, 'not run by this process');
  t.match(commands[2]!, /no position stored yet/, 'and it has never stored a position');
  t.deepEqual(commands.slice(3, 5), ['0', String(last!.globalPosition)], 'at position 0; the head is the last command');
  t.equal(commands[5], '3', 'three messages behind');
  t.match(commands[6]!, /^\d+ s$/, 'for as long as the oldest has waited');

  // Started, it catches up and stores its position; stopped again, its checkpoint tells the page.
  const [identityCommands] = system.subscriptions.filter(
    (subscription) => subscription.subscriberId === IDENTITY_SUBSCRIBER_IDS.commands,
  );
  await drain(identityCommands!);
  await identityCommands!.stop();
  const after = rowOf(
    (await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200)).text,
    IDENTITY_SUBSCRIBER_IDS.commands,
  )!;
  t.deepEqual(
    after.slice(3, 7),
    [String(last!.globalPosition), String(last!.globalPosition), '0', '—'],
    'caught up: at the head, nothing behind',
  );
  t.match(after[2]!, /its last checkpoint/, 'read from its checkpoint');
});

test('admin subscribers: live state where it runs here — running, stalled with its message and error, parked messages counted', async (t) => {
  const { system, running, stalls, parks, broken, failing } = await systemWithFailingSubscribers(t, {
    stallWith: 'the projection table is gone',
    parkWith: 'the mail server said no',
  });
  const store = system.messageStore;
  const reader = aggregatorSubscriber(store, system.db, ALL_CATEGORIES, async () => undefined, {
    subscriberId: 'aggregators:test:everything',
  });
  running.push(reader);
  const subscriptions = [...system.subscriptions, ...running];
  const { app, admin } = await adminSectionApp(system, [subscribersSection], {
    subscriptions,
    subscriberStatus: () => running.map((subscription) => subscription.status()),
  });

  await store.write(`${broken}-1`, message('Applied'));
  await store.write(`${failing}-${randomUUID()}`, message('SendIt'));
  await store.write(`${failing}-${randomUUID()}`, message('SendIt'));
  for (const subscription of running) subscription.start();
  await waitUntil('the aggregator to stall', () => stalls.status().state === 'stalled');
  await waitUntil('both messages to be parked', () => parks.status().parked === 2);
  await waitUntil('the reader of everything to catch up', () => reader.status().caughtUp);

  const page = (await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200)).text;
  const stalled = rowOf(page, 'aggregators:test:stalls')!;
  t.match(stalled[2]!, /stalled/, 'stalled');
  t.match(stalled[2]!, /Stopped at Applied after 3 attempts/, 'at which message');
  t.match(stalled[2]!, /the projection table is gone/, 'and why');
  t.equal(stalled[5], '1', 'one message behind');
  const parked = rowOf(page, 'components:test:parks')!;
  t.match(parked[2]!, /^running/, 'a component that parks goes on running');
  t.equal(parked[7], '2', 'two parked messages waiting');
  t.equal(parked[5], '0', 'nothing behind: parked messages are passed');
  const everything = rowOf(page, 'aggregators:test:everything')!;
  t.match(everything[1]!, /\$all/, 'the reader of every category');
  // The other subscribers go on writing (their positions), which the reader of everything then
  // has to read too: the page must show it caught up once it is, not at one instant.
  const behind = async () =>
    rowOf(
      (await request(app).get('/admin/subscribers').set('cookie', admin.cookie).expect(200)).text,
      'aggregators:test:everything',
    )![5];
  t.equal(
    await waitUntil('the page to show the reader caught up', async () => ((await behind()) === '0' ? '0' : undefined), {
      timeoutMs: 5_000,
    }).catch(async () => behind()),
    '0',
    'measured against the whole store: caught up',
  );
  t.match(
    rowOf(page, USER_CREDENTIALS_SUBSCRIBER_ID)![2]!,
    /runs elsewhere/,
    'those not run here are said to run elsewhere',
  );
});
