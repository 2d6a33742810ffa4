import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { ADMIN_ACTIONS_CATEGORY, adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { parkedSection } from '../../src/app/admin/parked/index.ts';
import { replayThroughProcessors } from '../../src/app/admin/parked/replay.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { componentProcessor, processorContext } from '../helpers/subscribers.ts';
import { createTestSystem, FAST_RETRY } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/** The Parked messages the page offers to act on, by their global positions. */
const listed = (html: string): number[] =>
  [...html.matchAll(/href="\/admin\/parked\/(\d+)\/discard"/g)].map((match) => Number(match[1]));

test('admin parked: list, replay (parked again, then handled) and discard, each written as the admin’s action', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const category = uniqueCategory();
  let mended = false;
  const handled: RawMessage[] = [];
  const processor = componentProcessor(store, category, async (m) => {
    if (!mended) throw new Error(`cannot handle ${m.type} yet`);
    handled.push(m);
  });
  const subscriberId = `components:test:${category}`;
  const replayParked = replayThroughProcessors([[subscriberId, processor]], {
    retry: FAST_RETRY,
    logger: silentLogger,
  });
  const { app, admin, user } = await adminSectionApp(system, [parkedSection], { replayParked });

  await store.write(`${category}-1`, message('Fragile', { n: 1 }));
  await store.write(`${category}-2`, message('Hopeless', { n: 2 }, { traceId: randomUUID() }));
  await processor.process(await store.readCategory(category), 0, processorContext());
  const dead = await store.readStream(processor.deadLetterStream);
  const [fragile, hopeless] = dead;
  t.equal(dead.length, 2, 'two messages parked');

  t.equal((await request(app).get('/admin/parked')).status, 303, 'a visitor is sent to log in');
  t.equal(
    (await request(app).get('/admin/parked').set('cookie', user.cookie)).status,
    403,
    'a user without the role → 403',
  );
  for (const action of ['replay', 'discard']) {
    const url = `/admin/parked/${fragile!.globalPosition}/${action}`;
    t.equal(
      (await request(app).post(url).set(FROM_THIS_SITE).type('form').send({ _csrf: CSRF_TOKEN, reason: 'x' })).status,
      303,
      `POST ${action}: a visitor is sent to log in`,
    );
    t.equal(
      (
        await request(app)
          .post(url)
          .set('cookie', user.cookie)
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: CSRF_TOKEN, reason: 'x' })
      ).status,
      403,
      `POST ${action}: a user → 403`,
    );
    t.equal(
      (await request(app).post(url).set('cookie', admin.cookie).set(FROM_THIS_SITE).type('form').send({ reason: 'x' }))
        .status,
      403,
      `POST ${action}: an admin without the CSRF token → 403`,
    );
  }

  const page = await request(app).get('/admin/parked').set('cookie', admin.cookie).expect(200);
  t.deepEqual(listed(page.text), [hopeless!.globalPosition, fragile!.globalPosition], 'both listed, newest first');
  t.match(page.text, /cannot handle Fragile yet/, 'with the error');
  t.match(page.text, /<dt>Attempts<\/dt><dd>3<\/dd>/, 'and the attempts');

  const post = (url: string, form: Record<string, string> = {}) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });

  // Replayed while the handler still fails: parked anew, under a new Parked message.
  const again = await post(`/admin/parked/${fragile!.globalPosition}/replay`);
  t.equal(again.status, 303, 'a replay redirects to the list');
  t.equal(again.headers.location, '/admin/parked');
  // The outcome rides in the session the redirect set, as a browser would carry it.
  const withFlash = (again.headers['set-cookie'] as unknown as string[])
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
  const shown = await request(app).get('/admin/parked').set('cookie', withFlash).expect(200);
  t.match(shown.text, /Replayed Fragile for components:test:\w+: parked again\./, 'the outcome is shown');
  const reparked = (await store.readStream(processor.deadLetterStream)).filter((m) => m.type === 'Parked').at(-1)!;
  t.notEqual(reparked.globalPosition, fragile!.globalPosition, 'a new Parked message');
  t.deepEqual(
    listed(shown.text),
    [reparked.globalPosition, hopeless!.globalPosition],
    'the list has the new one instead of the old',
  );
  t.equal(
    (await post(`/admin/parked/${fragile!.globalPosition}/replay`)).status,
    409,
    'the old one cannot be replayed twice',
  );

  mended = true;
  t.equal((await post(`/admin/parked/${reparked.globalPosition}/replay`)).status, 303);
  t.deepEqual(
    handled.map((m) => m.data),
    [{ n: 1 }],
    'the original message handled, once',
  );
  t.deepEqual(
    listed((await request(app).get('/admin/parked').set('cookie', admin.cookie)).text),
    [hopeless!.globalPosition],
    'and off the list',
  );

  t.equal(
    (await post(`/admin/parked/${hopeless!.globalPosition}/discard`, { reason: '  ' })).status,
    400,
    'a discard needs a reason',
  );
  t.equal(
    (await post(`/admin/parked/${hopeless!.globalPosition}/discard`, { reason: 'x'.repeat(501) })).status,
    400,
    'of up to 500 characters',
  );
  t.equal(
    (
      await post(`/admin/parked/${hopeless!.globalPosition}/discard`, {
        reason: 'a test message, never valid',
        confirm: 'DISCARD',
      })
    ).status,
    303,
  );
  const after = await request(app).get('/admin/parked').set('cookie', admin.cookie).expect(200);
  t.deepEqual(listed(after.text), [], 'nothing left waiting');
  t.match(after.text, /discarded: a test message, never valid/, 'the page’s history shows the discard');
  t.match(after.text, /replayed: handled/, 'and the replays');

  const actions = await store.readStream(adminActionsStreamName(admin.userId));
  const idOf = (parked: RawMessage) => (parked.data as { message: { id: string } }).message.id;
  t.deepEqual(
    actions.map((m) => [m.type, m.data, m.metadata.causationMessageGlobalPosition, m.metadata.userId]),
    [
      [
        'ParkedMessageReplayed',
        { adminId: admin.userId, subscriberId, messageId: idOf(fragile!), outcome: 'parked again' },
        fragile!.globalPosition,
        admin.userId,
      ],
      [
        'ParkedMessageReplayed',
        { adminId: admin.userId, subscriberId, messageId: idOf(fragile!), outcome: 'handled' },
        reparked.globalPosition,
        admin.userId,
      ],
      [
        'ParkedMessageDiscarded',
        { adminId: admin.userId, subscriberId, messageId: idOf(hopeless!), reason: 'a test message, never valid' },
        hopeless!.globalPosition,
        admin.userId,
      ],
    ],
    'each action in the admin’s stream: who, what, about which Parked message',
  );
  t.ok(
    actions.every((m) => typeof m.metadata.traceId === 'string'),
    'each with the request’s trace id',
  );
  t.ok(actions.every((m) => m.streamName.startsWith(`${ADMIN_ACTIONS_CATEGORY}-`)));
});

test('admin parked: unknown positions are a 404; without a way to replay, the page says so and replay is a 503', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const category = uniqueCategory();
  const processor = componentProcessor(store, category, async () => {
    throw new Error('never');
  });
  await store.write(`${category}-1`, message('Fragile'));
  await processor.process(await store.readCategory(category), 0, processorContext());
  const [parked] = await store.readStream(processor.deadLetterStream);
  const [original] = await store.readCategory(category);
  const { app, admin } = await adminSectionApp(system, [parkedSection]);
  const post = (url: string) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, reason: 'because' });

  const page = await request(app).get('/admin/parked').set('cookie', admin.cookie).expect(200);
  t.match(page.text, /Replay is not wired into this process/, 'the page says replay is not available');
  t.match(page.text, /<button class="button button--primary" type="submit" disabled>Replay/, 'and the button is off');
  t.equal((await post(`/admin/parked/${parked!.globalPosition}/replay`)).status, 503, 'a replay posted anyway → 503');
  for (const bad of ['999999999', 'abc', '0', String(original!.globalPosition)]) {
    t.equal((await post(`/admin/parked/${bad}/replay`)).status, 404, `replay ${bad} → 404`);
    t.equal((await post(`/admin/parked/${bad}/discard`)).status, 404, `discard ${bad} → 404`);
  }
  t.equal((await store.readStream(adminActionsStreamName(admin.userId))).length, 0, 'nothing was recorded');
});

test('admin parked: a discard asks first, on a page of its own; without the typed word it is a 400 that keeps the reason, and nothing is discarded', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const category = uniqueCategory();
  const processor = componentProcessor(store, category, async () => {
    throw new Error('never');
  });
  await store.write(`${category}-1`, message('Hopeless'));
  await processor.process(await store.readCategory(category), 0, processorContext());
  const [parked] = await store.readStream(processor.deadLetterStream);
  const { app, admin } = await adminSectionApp(system, [parkedSection]);
  const url = `/admin/parked/${parked!.globalPosition}/discard`;

  const list = await request(app).get('/admin/parked').set('cookie', admin.cookie).expect(200);
  t.match(list.text, new RegExp(`href="${url}"`), 'the list leads to the discard’s own page');
  const page = await request(app).get(url).set('cookie', admin.cookie).expect(200);
  t.match(page.text, /Hopeless/, 'which names the message');
  t.match(page.text, /cannot be undone/, 'and says it is for good');

  const post = (form: Record<string, string>) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });
  for (const confirm of [undefined, '', 'discard it', 'ERASE']) {
    const answer = await post({ reason: 'never valid', ...(confirm === undefined ? {} : { confirm }) });
    t.equal(answer.status, 400, `confirm ${JSON.stringify(confirm)} → 400`);
    t.match(answer.text, /Type the word DISCARD/, 'the page says what to type');
    t.match(answer.text, />never valid</, 'and keeps the reason typed');
  }
  t.equal((await store.readStream(adminActionsStreamName(admin.userId))).length, 0, 'nothing recorded');
  t.deepEqual(
    listed((await request(app).get('/admin/parked').set('cookie', admin.cookie)).text),
    [parked!.globalPosition],
    'still waiting',
  );

  t.equal((await post({ reason: 'never valid', confirm: ' discard ' })).status, 303, 'typed: discarded');
  t.deepEqual(listed((await request(app).get('/admin/parked').set('cookie', admin.cookie)).text), [], 'and settled');
});
