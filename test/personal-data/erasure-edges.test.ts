import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { usersSection } from '../../src/app/admin/users/index.ts';
import {
  identityCommandStreamName,
  identityEmailStreamName,
  identityStreamName,
} from '../../src/contracts/identity.ts';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { FROM_THIS_SITE, logIn } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN, registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';

const erase = (system: System, userId: string) =>
  eraseUser({ messageStore: system.messageStore, personalData: createPersonalData(system.db) }, userId, {
    by: randomUUID(),
    traceId: randomUUID(),
  });

const credentialsGone = (system: System, userId: string) =>
  waitUntil(`the credentials row of ${userId} to go`, async () =>
    (await system.db('user_credentials').where({ user_id: userId }).first('user_id')) ? undefined : true,
  );

test('erasure: a logged-in user who is erased is logged out at their next request', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const email = 'ended@example.com';
  const userId = await registerThroughTheSite(system, email, PASSWORD);
  const agent = request.agent(system.app);
  t.equal((await logIn(agent, email, PASSWORD)).status, 303, 'logged in');
  t.equal((await agent.get('/creators-portal')).status, 200, 'a page for users opens');
  t.match((await agent.get('/')).text, /site-nav__user/, 'the header shows them logged in');

  await erase(system, userId);
  await credentialsGone(system, userId);

  const portal = await agent.get('/creators-portal');
  t.equal(portal.status, 303, 'the same cookie no longer opens a page for users');
  t.match(portal.headers.location ?? '', /^\/auth\/log-in/, 'it goes to log in');
  t.doesNotMatch((await agent.get('/')).text, /site-nav__user/, 'the header shows a visitor');
  const setCookie = ([] as string[]).concat(portal.headers['set-cookie'] ?? []).join(';');
  t.match(setCookie, /session=/, 'the session cookie is rewritten');
  const session = /session=([^;]*)/.exec(setCookie)?.[1] ?? '';
  t.doesNotMatch(Buffer.from(session, 'base64').toString('utf8'), /userId/, 'without the user in it');

  // Someone else logs in as before: the check costs them nothing.
  const other = 'still-here@example.com';
  await registerThroughTheSite(system, other, PASSWORD);
  const otherAgent = request.agent(system.app);
  t.equal((await logIn(otherAgent, other, PASSWORD)).status, 303, 'a user who registered just now logs in');
  t.equal((await otherAgent.get('/creators-portal')).status, 200, 'and stays logged in');
  t.equal((await otherAgent.get('/auth/log-out')).status, 200, 'log-out is offered to them');
});

const typesIn = async (system: System, stream: string): Promise<string[]> =>
  (await system.messageStore.readStream(stream)).map((message) => message.type);

test('erasure: someone identity refused ("email taken"), or whose Register was never handled, can be erased by id; an id nobody used is a 404', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const personalData = createPersonalData(system.db);
  const email = 'taken@example.com';
  await registerThroughTheSite(system, email, PASSWORD);
  // A second Register of the address, sealed as register-users seals it (its quick check would stop a form).
  const refused = randomUUID();
  const sealedEmail = await personalData.seal(refused, email);
  await system.messageStore.write(identityCommandStreamName(refused), {
    id: randomUUID(),
    type: 'Register',
    data: { userId: refused, email: sealedEmail, passwordHash: await personalData.seal(refused, fakePasswordHash()) },
    metadata: { traceId: randomUUID(), userId: refused },
  });
  await waitUntil(
    'RegistrationRejected',
    async () => (await typesIn(system, identityStreamName(refused))).includes('RegistrationRejected') || undefined,
  );
  // Sealed, but the Register never reached the store (or was never handled): a key and nothing else.
  const neverHandled = randomUUID();
  const orphan = await personalData.seal(neverHandled, 'never@example.com');

  const { app, admin } = await adminSectionApp(system, [usersSection]);
  const erase = (userId: string) =>
    request(app)
      .post(`/admin/users/${userId}/erase`)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, requestId: randomUUID(), confirm: 'ERASE' });
  for (const [label, userId] of [
    ['refused', refused],
    ['never handled', neverHandled],
  ] as const) {
    const page = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie);
    t.equal(page.status, 200, `${label}: their page opens`);
    t.match(page.text, /Erase this user/, `${label}: and offers erasure`);
    t.equal((await erase(userId)).status, 303, `${label}: erased`);
    t.ok(await personalData.isErased(userId), `${label}: the key is gone`);
    t.ok((await typesIn(system, identityStreamName(userId))).includes('UserErased'), `${label}: UserErased written`);
  }
  t.equal(await personalData.open(refused, sealedEmail), undefined, "the refused Register's email no longer opens");
  t.equal(await personalData.open(neverHandled, orphan), undefined, 'nor what was sealed for the one never handled');
  t.notOk(
    (await typesIn(system, identityEmailStreamName(email))).includes('EmailReleased'),
    "the address's owner keeps it",
  );

  const nobody = randomUUID();
  t.equal(
    (await request(app).get(`/admin/users/${nobody}`).set('cookie', admin.cookie)).status,
    404,
    'an id nobody used: 404',
  );
  t.equal((await erase(nobody)).status, 404, 'and its erasure: 404');
  t.notOk(
    await system.messageStore.readStream(identityStreamName(nobody)).then((messages) => messages.length),
    'nothing written for it',
  );
});

test('erasure: stopped after the key is deleted, the old password no longer logs in, the address registers again, and posting again finishes', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const personalData = createPersonalData(system.db);
  const email = 'halfway@example.com';
  const userId = await registerThroughTheSite(system, email, PASSWORD);
  const session = request.agent(system.app);
  t.equal((await logIn(session, email, PASSWORD)).status, 303, 'logs in before');
  t.equal((await session.get('/creators-portal')).status, 200, 'and their session opens a page for users');

  // The key store fails: nothing else is done, so the address is not freed while the old password still works.
  const failing = { ...personalData, erase: () => Promise.reject(new Error('the app database went away')) };
  await eraseUser({ messageStore: system.messageStore, personalData: failing }, userId, {
    by: randomUUID(),
    traceId: randomUUID(),
  }).then(
    () => t.fail('the erasure should fail'),
    () => t.pass('the erasure fails with the key store'),
  );
  t.deepEqual(
    await typesIn(system, identityEmailStreamName(email)),
    ['EmailReserved'],
    'before the key is gone, the address is not released',
  );

  // The key deleted (eraseUser's first write), then the request dies.
  await personalData.erase(userId);
  t.ok(
    await system.db('user_credentials').where({ user_id: userId }).first('user_id'),
    'their credentials row is still there (no UserErased yet)',
  );
  t.equal((await logIn(request.agent(system.app), email, PASSWORD)).status, 401, 'but the old password is refused');
  t.equal((await session.get('/creators-portal')).status, 303, 'and the session they had ends at its next request');

  const newcomer = await registerThroughTheSite(system, email, 'another long password');
  t.notEqual(newcomer, userId, 'the address registers again: an erased holder holds nothing');
  t.equal(
    (await logIn(request.agent(system.app), email, 'another long password')).status,
    303,
    'and its new owner logs in, though the old row is older',
  );

  await erase(system, userId);
  t.deepEqual(
    (await typesIn(system, identityStreamName(userId))).filter((type) => type === 'UserErased'),
    ['UserErased'],
    'posting again writes UserErased',
  );
  await credentialsGone(system, userId);
  await erase(system, userId);
  t.deepEqual(
    (await typesIn(system, identityStreamName(userId))).filter((type) => type === 'UserErased'),
    ['UserErased'],
    'and once more writes nothing new',
  );
  t.deepEqual(
    await typesIn(system, identityEmailStreamName(email)),
    ['EmailReserved', 'EmailReserved'],
    "the newcomer's claim stands; no release is written over it",
  );
});

test('erasure: in the usual order the release is on record, and the registration page of an erased user is final', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const email = 'final@example.com';
  const userId = await registerThroughTheSite(system, email, PASSWORD);
  await erase(system, userId);
  t.deepEqual(
    await typesIn(system, identityEmailStreamName(email)),
    ['EmailReserved', 'EmailReleased'],
    'EmailReleased written',
  );
  await credentialsGone(system, userId);
  const page = await request(system.app).get(`/register/${userId}`).expect(200);
  t.doesNotMatch(page.text, /http-equiv="refresh"/, 'no refresh for ever');
  t.match(page.text, /Account erased/, 'it says the account was erased');
  t.doesNotMatch(page.text, /Setting up your account/, 'not that it is being set up');
});
