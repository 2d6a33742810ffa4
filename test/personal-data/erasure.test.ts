import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { projectionOf } from '../../src/aggregators/definition.ts';
import {
  userCredentialsDefinition,
  USER_CREDENTIALS_SUBSCRIBER_ID,
} from '../../src/aggregators/user-credentials/index.ts';
import { usersSection } from '../../src/app/admin/users/index.ts';
import { DEVELOPMENT_AUDIT_KEY, verifyAuditChain } from '../../src/audit/index.ts';
import {
  identityCommandStreamName,
  identityEmailStreamName,
  identityStreamName,
} from '../../src/contracts/identity.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { createPersonalData, isSealed, openWith, sealWith, type Sealed } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { FROM_THIS_SITE, logIn, profileFields } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';

async function register(system: System, email: string) {
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  const userId = /name="userId" value="([^"]+)"/.exec(page.text)![1]!;
  await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page), userId, email, password: PASSWORD, passwordAgain: PASSWORD, ...profileFields() })
    .expect(303);
  const status = await waitUntil(`the registration of ${userId}`, async () => {
    const answer = await agent.get(`/register/${userId}`);
    return /http-equiv="refresh"/.test(answer.text) ? undefined : answer.text;
  });
  return { userId, agent, status };
}

const personalFields = (message: RawMessage): unknown[] => {
  const data = message.data as Record<string, unknown>;
  return ['email', 'passwordHash'].filter((field) => field in data).map((field) => data[field]);
};

test('personal data: seal and open round trip, a different IV each time, tampering detected, erasure for good', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const personalData = createPersonalData(system.db);
  const userId = '6d0f0f3e-8a0c-4d38-9b1a-0f6f4a2c1e11';
  const one = await personalData.seal(userId, 'ada@example.com');
  const two = await personalData.seal(userId, 'ada@example.com');
  t.equal(one.sealed, 'v1');
  t.notEqual(one.iv, two.iv, 'a random IV per field');
  t.notEqual(one.data, two.data, 'so the same value seals differently');
  t.equal(await personalData.open(userId, one), 'ada@example.com', 'opens');
  t.equal(
    await personalData.open(userId, 'plain@example.com'),
    'plain@example.com',
    'a plain (older) field is read as it is',
  );
  const data = Buffer.from(one.data, 'base64');
  data[0] = data[0]! ^ 1;
  const tampered: Sealed = { ...one, data: data.toString('base64') };
  await personalData.open(userId, tampered).then(
    () => t.fail('a tampered value must not open'),
    () => t.pass('a tampered value fails the GCM tag'),
  );
  const key = Buffer.alloc(32, 7);
  t.throws(() => openWith(Buffer.alloc(32, 8), sealWith(key, 'x')), 'another key does not open it');
  await personalData.erase(userId);
  t.equal(await personalData.open(userId, one), undefined, 'erased: no longer opens');
  t.ok(await personalData.isErased(userId));
  await personalData.seal(userId, 'again').then(
    () => t.fail('an erased user gets no new key'),
    () => t.pass('an erased user gets no new key'),
  );
});

test('personal data: register seals, log-in works; erase shreds, projections follow, the address is free, the chain verifies', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const personalData = createPersonalData(system.db);
  const email = 'grace@example.com';
  const { userId, agent, status } = await register(system, email);
  t.match(status, /Registered — log in/, 'registered');
  const hash = (
    await system.db('user_credentials').where({ user_id: userId }).first<{ password_hash: string }>('password_hash')
  ).password_hash;

  // Everything the registration causes, settled before counting.
  await waitUntil(
    'RegistrationEmailSent',
    async () =>
      (await system.messageStore.readStream(identityStreamName(userId))).some(
        (message) => message.type === 'RegistrationEmailSent',
      ) || undefined,
  );
  const streams = [identityCommandStreamName(userId), identityStreamName(userId), identityEmailStreamName(email)];
  const before = (await Promise.all(streams.map((stream) => system.messageStore.readStream(stream)))).flat();
  const types = before.map((message) => message.type);
  for (const type of ['Register', 'EmailReserved', 'Registered']) t.ok(types.includes(type), `${type} written`);
  const raw = JSON.stringify(
    before.filter((message) => ['Register', 'EmailReserved', 'Registered'].includes(message.type)),
  );
  t.notOk(raw.includes(email), 'no plain email in Register, EmailReserved or Registered');
  t.notOk(raw.includes(hash), 'no plain password hash either');
  t.notOk(/\$2[aby]\$/.test(raw), 'nothing shaped like a bcrypt hash');
  t.ok(before.flatMap(personalFields).every(isSealed), 'every personal field is sealed');

  t.equal((await logIn(agent, email, PASSWORD)).status, 303, 'log-in works with the sealed registration');

  await waitUntil(
    'the admin-users row',
    async () =>
      (await system.db('admin_users').where({ user_id: userId }).first('email'))?.email === email || undefined,
  );
  const { app, admin } = await adminSectionApp(system, [usersSection]);
  const page = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(page.text, /Erase this user/, 'the user page offers erasure');
  const post = (cookie: string) =>
    request(app).post(`/admin/users/${userId}/erase`).set('cookie', cookie).set(FROM_THIS_SITE).type('form');
  t.equal((await post(admin.cookie)).status, 403, 'no CSRF token → 403');
  t.equal(
    (await post(admin.cookie).send({ _csrf: CSRF_TOKEN, requestId: randomUUID(), confirm: email })).status,
    303,
    'erased, confirmed by typing their address',
  );

  const after = (await Promise.all(streams.map((stream) => system.messageStore.readStream(stream)))).flat();
  t.deepEqual(
    before.map((message) => message.id),
    after.filter((message) => before.some((earlier) => earlier.id === message.id)).map((message) => message.id),
    'every message is still there',
  );
  t.deepEqual(
    after
      .filter((message) => !before.some((earlier) => earlier.id === message.id))
      .map((message) => message.type)
      .sort(),
    ['EmailReleased', 'UserErased'],
    'plus EmailReleased and UserErased',
  );
  const opened = await Promise.all(
    after.flatMap(personalFields).map((field) => personalData.open(userId, field as Sealed)),
  );
  t.ok(opened.length >= 5 && opened.every((value) => value === undefined), 'no personal field opens any more');
  const actions = await system.messageStore.readStream(`adminActions-${admin.userId}`);
  t.deepEqual(
    actions.map((message) => [message.type, (message.data as { userId: string }).userId]),
    [['UserErasureRequested', userId]],
    'the admin action is recorded',
  );

  await waitUntil('the credentials row to go', async () =>
    (await system.db('user_credentials').where({ user_id: userId }).first('user_id')) ? undefined : true,
  );
  await waitUntil(
    'admin-users to blank the email',
    async () =>
      (await system.db('admin_users').where({ user_id: userId }).first('email'))?.email === '[erased]' || undefined,
  );
  const erasedPage = await request(app).get(`/admin/users/${userId}`).set('cookie', admin.cookie).expect(200);
  t.match(erasedPage.text, /\[erased\]/, 'the admin page shows the user erased');
  t.doesNotMatch(erasedPage.text, /grace@example\.com/, 'and not the address');
  t.equal((await logIn(request.agent(system.app), email, PASSWORD)).status, 401, 'log-in fails');

  const again = await register(system, email);
  t.match(again.status, /Registered — log in/, 'the same address registers again');
  t.equal((await logIn(again.agent, email, PASSWORD)).status, 303, 'and the new account logs in');

  // A replay of user-credentials after the erasure: Registered no longer opens, so no row comes back.
  const projection = projectionOf(userCredentialsDefinition, USER_CREDENTIALS_SUBSCRIBER_ID);
  const stream = await system.messageStore.readStream(identityStreamName(userId));
  await system.db.transaction(async (trx) =>
    projection.apply(
      (await Promise.all(stream.map((message) => projection.parse(message, trx)))).filter(
        (event) => event !== undefined,
      ),
      trx,
    ),
  );
  t.notOk(
    await system.db('user_credentials').where({ user_id: userId }).first('user_id'),
    'a replay does not resurrect the erased user',
  );

  const head = await waitUntil('the audit chain to cover the store', async () => {
    const report = await verifyAuditChain({
      db: system.db,
      messageStorePool: system.messageStorePool,
      auditKey: DEVELOPMENT_AUDIT_KEY,
    });
    return report.notYetCovered === 0 && report.linksChecked > 0 ? report : undefined;
  });
  t.ok(head.ok, 'the audit chain still verifies after the erasure');
});
