import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { liveSubscriptions } from '../../src/aggregators/definition.ts';
import { adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { usersSection } from '../../src/app/admin/users/index.ts';
import { identityCommandStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { registrationEmailId } from '../../src/components/identity/ids.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import type { Message } from '../../src/message-store/index.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { drain } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});
const requestIdOf = (html: string) => /name="requestId" value="([^"]+)"/.exec(html)?.[1];
const typesIn = async (store: { readStream(stream: string): Promise<Array<{ type: string }>> }, stream: string) =>
  (await store.readStream(stream)).map((message) => message.type);

test("admin users: a user's page shows how the welcome email went, and an admin can have it sent again: one action, one command, per form", async (t) => {
  // Subscribers off: the identity stream is written here, and identity's command handler run by hand.
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const section = await adminSectionApp(system, [usersSection]);
  const { app, admin, user } = section;
  const userId = randomUUID();
  const emailId = registrationEmailId(userId);
  await system.messageStore.write(
    identityStreamName(userId),
    event('Registered', { userId, email: 'grace@example.com', passwordHash: fakePasswordHash() }),
  );
  await system.messageStore.write(
    identityStreamName(userId),
    event('RegistrationEmailDeferred', {
      userId,
      emailId,
      attempts: 1,
      reason: 'ENOSPC: no space left on device, write',
      nextAttemptAt: '2026-12-06T10:00:10.000Z',
    }),
  );
  for (const subscription of liveSubscriptions(adminUsersDefinition, {
    db: system.db,
    messageStore: system.messageStore,
    logger: silentLogger,
  }))
    await drain(subscription);
  const retrying = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(
    retrying.text,
    /not delivered yet: ENOSPC: no space left on device, write; next try 2026-12-06 10:00:10.000 UTC/,
    'retrying, why, and when next',
  );

  await system.messageStore.write(
    identityStreamName(userId),
    event('RegistrationEmailFailed', { userId, emailId, reason: '550 5.1.1 mailbox unavailable' }),
  );
  const page = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(page.text, /failed [^<]*: 550 5\.1\.1 mailbox unavailable/, 'failed, with the reason');
  t.match(
    page.text,
    /<button class="button" type="submit">Resend welcome email<\/button>/,
    'and a button to send it again',
  );

  const form = { _csrf: CSRF_TOKEN, requestId: requestIdOf(page.text) };
  const post = () =>
    request(app)
      .post(`/admin/users/${userId}/resend-welcome-email`)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send(form);
  const answer = await post();
  t.equal(answer.status, 303, 'back to the page');
  t.equal(answer.headers.location, `/admin/users/${userId}`);
  await post().expect(303);

  const actions = (await system.messageStore.readStream(adminActionsStreamName(admin.userId))).filter(
    (message) => message.type === 'WelcomeEmailResendRequested',
  );
  t.equal(actions.length, 1, 'one admin action for the form posted twice');
  t.deepEqual(actions[0]?.data, { adminId: admin.userId, userId }, 'naming the user');
  const commands = (await system.messageStore.readStream(identityCommandStreamName(userId))).filter(
    (message) => message.type === 'ResendRegistrationEmail',
  );
  t.equal(commands.length, 1, 'one command');
  t.deepEqual(commands[0]?.data, { userId, byAdmin: admin.userId }, 'asking as that admin');
  t.equal(commands[0]?.metadata.userId, admin.userId, 'caused by the admin');

  // Identity believes an admin by their own identity stream.
  await system.messageStore.write(
    identityStreamName(admin.userId),
    event('AdminRoleGranted', { userId: admin.userId, by: 'test' }),
  );
  const identity = createIdentityComponent({
    messageStore: system.messageStore,
    logger: silentLogger,
    siteUrl: 'http://localhost',
  });
  await drain(identity.subscriptions[0]!);
  await identity.subscriptions[0]!.stop();
  t.deepEqual(
    (await typesIn(system.messageStore, identityStreamName(userId))).at(-1),
    'RegistrationEmailRequested',
    'identity asks for a new welcome email',
  );
  const asked = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(asked.text, /asked for [^<]*, no answer yet/, 'which the page then shows');

  const refused = await request(app)
    .post(`/admin/users/${userId}/resend-welcome-email`)
    .set('cookie', user.cookie)
    .set(FROM_THIS_SITE)
    .type('form')
    .send(form);
  t.equal(refused.status, 403, 'a user without the role cannot');
  const damaged = await request(app)
    .post(`/admin/users/${userId}/resend-welcome-email`)
    .set('cookie', admin.cookie)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: CSRF_TOKEN, requestId: 'x' });
  t.equal(damaged.status, 400, 'a damaged form: 400');

  // Someone known only by a Register never handled: no welcome email to send.
  const unregistered = randomUUID();
  await system.messageStore.write(identityCommandStreamName(unregistered), event('Register', { userId: unregistered }));
  const theirs = await request(app).get(`/admin/users/${unregistered}`).set('cookie', admin.cookie).expect(200);
  t.match(theirs.text, /none asked for/, 'an unregistered user: none asked for');
  t.doesNotMatch(theirs.text, /Resend welcome email/, 'and no button');
  const nothing = await request(app)
    .post(`/admin/users/${unregistered}/resend-welcome-email`)
    .set('cookie', admin.cookie)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: CSRF_TOKEN, requestId: randomUUID() });
  t.equal(nothing.status, 400, 'and a post anyway is a 400');
  t.deepEqual(
    await typesIn(system.messageStore, identityCommandStreamName(unregistered)),
    ['Register'],
    'nothing written',
  );
});
