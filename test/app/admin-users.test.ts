import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { liveSubscriptions } from '../../src/aggregators/definition.ts';
import { adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { usersSection } from '../../src/app/admin/users/index.ts';
import { authenticationStreamName } from '../../src/contracts/authentication.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { Message, MessageStore } from '../../src/message-store/index.ts';
import type { System } from '../../src/system.ts';
import { adminSectionApp, checkAdminOnly } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { drain } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});

async function register(store: MessageStore, email: string): Promise<string> {
  const userId = randomUUID();
  await store.write(
    identityStreamName(userId),
    event('Registered', { userId, email, passwordHash: fakePasswordHash() }),
  );
  return userId;
}

async function project(system: System): Promise<void> {
  for (const subscription of liveSubscriptions(adminUsersDefinition, {
    db: system.db,
    messageStore: system.messageStore,
    logger: silentLogger,
  }))
    await drain(subscription);
}

/** The emails a users page lists, in its order. */
const emailsOn = (html: string): string[] =>
  [...html.matchAll(/<td><a href="\/admin\/users\/[0-9a-f-]+">([^<]+)<\/a>/g)].map((match) => match[1]!);
const nextLink = (html: string): string | undefined =>
  /<a class="button" href="([^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll('&amp;', '&');

test('admin users: visitors are sent to log in, users get 403, admins see the list and a user', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const section = await adminSectionApp(system, [usersSection]);
  const userId = await register(system.messageStore, 'someone@example.com');
  await project(system);
  await checkAdminOnly(t, section, ['/admin/users', `/admin/users/${userId}`, '/admin/users?q=some']);
});

test('admin users: by email in keyset pages of 50, and a search by the start of the address', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [usersSection]);
  const emails = Array.from({ length: 57 }, (_, n) => `pager-${String(n).padStart(3, '0')}@example.com`);
  // Written out of order: the list sorts them.
  for (const email of [...emails].reverse()) await register(system.messageStore, email);
  await register(system.messageStore, 'other_person@example.com');
  await register(system.messageStore, 'otherXperson@example.com');
  await project(system);

  const first = await request(app).get('/admin/users?q=pager-').set('cookie', admin.cookie).expect(200);
  t.deepEqual(emailsOn(first.text), emails.slice(0, 50), 'the first page: fifty, by email');
  const next = nextLink(first.text);
  t.ok(next?.includes('q=pager-'), 'the next page keeps the search');
  const second = await request(app).get(next!).set('cookie', admin.cookie).expect(200);
  t.deepEqual(emailsOn(second.text), emails.slice(50), 'the second page: the rest, none repeated');
  t.equal(nextLink(second.text), undefined, 'and no further page');

  const upper = await request(app).get('/admin/users?q=PAGER-05').set('cookie', admin.cookie).expect(200);
  t.deepEqual(emailsOn(upper.text), emails.slice(50, 57), 'a search ignores case, as addresses are compared');
  const literal = await request(app).get('/admin/users?q=other_').set('cookie', admin.cookie).expect(200);
  t.deepEqual(emailsOn(literal.text), ['other_person@example.com'], 'an underscore is searched for, not a wildcard');
  const none = await request(app).get('/admin/users?q=nobody').set('cookie', admin.cookie).expect(200);
  t.deepEqual(emailsOn(none.text), [], 'no match, no rows');
  t.match(none.text, /No registered user/, 'and says so');

  const all = await request(app).get('/admin/users').set('cookie', admin.cookie).expect(200);
  t.equal(emailsOn(all.text).length, 50, 'unfiltered, a page of fifty');
  t.equal(
    (await request(app).get('/admin/users?after=not-a-cursor').set('cookie', admin.cookie)).status,
    400,
    'a mangled page link is a 400',
  );
});

test('admin users: a user’s page holds their account and everything they did, newest first, linked to each message', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [usersSection]);
  const store = system.messageStore;
  const userId = await register(store, 'watcher@example.com');
  await store.write(identityStreamName(userId), event('RegistrationEmailSent', { userId, emailId: randomUUID() }));
  await store.write(authenticationStreamName(userId), event('UserLoggedIn', { userId }));
  await store.write(authenticationStreamName(userId), event('UserLoginFailed', { userId, reason: 'wrong password' }));
  const video = { ...newVideo(), ownerId: userId };
  await writeEvents(store, video, controls.accepted(video), controls.named(video, 'How to fold a stream'));
  await store.write(
    viewingStreamName(video.videoId),
    event('VideoViewed', { videoId: video.videoId, userId, visitorKey: 'their-session-key-00000' }),
  );
  // Someone else's messages stay off their page.
  const other = await register(store, 'else@example.com');
  await store.write(authenticationStreamName(other), event('UserLoggedIn', { userId: other }));
  await project(system);

  const page = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(page.text, /<h1>watcher@example.com<\/h1>/, 'their email');
  t.match(page.text, /1 \(1 failed\)/, 'their log-ins');
  t.match(page.text, /How to fold a stream/, 'their video, by name');
  t.match(page.text, /<dd>1 recorded, 1 counted<\/dd>/, 'their viewings, recorded and counted');
  const types = [
    ...page.text.matchAll(
      /<td><a href="\/admin\/messages\/(\d+)">\d+<\/a><\/td><td><time[^>]*>[^<]*<\/time><\/td><td>(\w+)/g,
    ),
  ];
  t.deepEqual(
    types.map((match) => match[2]),
    [
      'VideoViewed',
      'VideoPublishingAccepted',
      'UserLoginFailed',
      'UserLoggedIn',
      'RegistrationEmailSent',
      'Registered',
    ],
    'their history, newest first: viewing, upload, log-ins, identity',
  );
  // Back within the window: recorded, listed, not counted.
  await store.write(
    viewingStreamName(video.videoId),
    event('VideoViewed', { videoId: video.videoId, userId, visitorKey: 'their-session-key-00000' }),
  );
  await project(system);
  const again = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(again.text, /<dd>2 recorded, 1 counted<\/dd>/, 'a second viewing within the window is recorded, not counted');
  t.match(again.text, /not counted \(within the window of one they had counted\)/, 'and their history says so');
  const list = await request(app).get('/admin/users').set('cookie', admin.cookie).expect(200);
  t.match(
    list.text,
    /<th scope="col">Viewings recorded<\/th><th scope="col">Counted<\/th>/,
    'the list has both columns',
  );
  const positions = types.map((match) => Number(match[1]));
  t.deepEqual(
    positions,
    [...positions].sort((a, b) => b - a),
    'each linked to its message, by global position',
  );

  const older = await request(app)
    .get(`/admin/users/${userId}?before=${positions[2]}`)
    .set('cookie', admin.cookie)
    .expect(200);
  t.match(older.text, /UserLoggedIn/, 'an older page starts below the cursor');
  t.doesNotMatch(older.text, /UserLoginFailed/, 'and leaves out what came after it');
});

test('admin users: an unknown or malformed user id is a 404, a broken page link a 400, never a 500', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [usersSection]);
  const userId = await register(system.messageStore, 'known@example.com');
  await project(system);
  t.equal(
    (await request(app).get(`/admin/users/${randomUUID()}`).set('cookie', admin.cookie)).status,
    404,
    'an id nobody has',
  );
  t.equal(
    (await request(app).get('/admin/users/not-a-uuid').set('cookie', admin.cookie)).status,
    404,
    'something that is no id',
  );
  t.equal(
    (await request(app).get(`/admin/users/${userId}?before=abc`).set('cookie', admin.cookie)).status,
    400,
    'a broken history cursor',
  );
  t.equal(
    (
      await request(app)
        .get(`/admin/users?q=${'x'.repeat(300)}`)
        .set('cookie', admin.cookie)
    ).status,
    400,
    'a search longer than any address',
  );
});
