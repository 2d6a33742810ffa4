import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { asOfSection } from '../../src/app/admin/as-of/index.ts';
import { exportsSection } from '../../src/app/admin/exports/index.ts';
import { messagesSection } from '../../src/app/admin/messages/index.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('admin messages: a sealed address shows masked, not as its ciphertext, and as [erased] once its user is erased', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [messagesSection]);
  const personalData = createPersonalData(system.db);
  const [userId, emailId] = [randomUUID(), randomUUID()];
  const email = `alice.${userId.slice(0, 8)}@example.com`;
  const sealedEmail = await personalData.seal(userId, email);
  const sealedHash = await personalData.seal(userId, `$2b$04$${'a'.repeat(53)}`);
  const category = uniqueCategory();
  await system.messageStore.write(`${category}-${userId}`, {
    id: randomUUID(),
    type: 'Registered',
    data: { userId, email: sealedEmail, passwordHash: sealedHash },
    metadata: {},
  });
  await system.messageStore.write(`${category}:command-${emailId}`, {
    id: randomUUID(),
    type: 'Send',
    data: { emailId, to: sealedEmail, sealedFor: userId, subject: 'Hi' },
    metadata: {},
  });
  const [registered] = await system.messageStore.readStream(`${category}-${userId}`);
  const [send] = await system.messageStore.readStream(`${category}:command-${emailId}`);
  const page = async (globalPosition: number) =>
    (await request(app).get(`/admin/messages/${globalPosition}`).set('cookie', admin.cookie).expect(200)).text;

  for (const [name, message] of [
    ['identity’s email', registered!],
    ['an email’s recipient (sealedFor)', send!],
  ] as const) {
    const html = await page(message.globalPosition);
    t.ok(html.includes('a•••@example.com'), `${name}: masked`);
    t.notOk(html.includes(sealedEmail.data), `${name}: no ciphertext`);
    t.doesNotMatch(html, /&quot;sealed&quot;|&quot;iv&quot;/, `${name}: no sealed envelope`);
    t.notOk(html.includes(email), `${name}: not the full address`);
  }
  t.match(
    await page(registered!.globalPosition),
    /&quot;passwordHash&quot;: &quot;\[redacted\]&quot;/,
    'a sealed secret opens to nothing shown',
  );

  await personalData.erase(userId);
  const erased = await page(registered!.globalPosition);
  t.match(erased, /&quot;email&quot;: &quot;\[erased\]&quot;/, 'erased: the address reads [erased]');
  t.match(await page(send!.globalPosition), /&quot;to&quot;: &quot;\[erased\]&quot;/, 'so does the recipient');
});

test('admin exports: a sealed address is exported masked, as the message page shows it, not as its ciphertext', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [exportsSection]);
  const personalData = createPersonalData(system.db);
  const userId = randomUUID();
  const email = `bea.${userId.slice(0, 8)}@example.com`;
  const sealedEmail = await personalData.seal(userId, email);
  const category = uniqueCategory();
  await system.messageStore.write(`${category}-${userId}`, {
    id: randomUUID(),
    type: 'Registered',
    data: { userId, email: sealedEmail },
    metadata: { userId },
  });
  const exported = async (format: string) =>
    (
      await request(app)
        .post('/admin/exports/user')
        .set('cookie', admin.cookie)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: CSRF_TOKEN, userId, format })
        .expect(200)
    ).text;

  for (const format of ['json', 'csv']) {
    const text = await exported(format);
    t.ok(text.includes('b•••@example.com'), `${format}: masked`);
    t.notOk(text.includes(sealedEmail.data), `${format}: no ciphertext`);
    t.notOk(text.includes(email), `${format}: not the full address`);
  }
  await personalData.erase(userId);
  t.ok((await exported('json')).includes('[erased]'), 'erased: the address reads [erased]');
});

test('admin as-of: a user whose address is sealed shows it masked, as the message page does, not as [sealed]', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [asOfSection]);
  const personalData = createPersonalData(system.db);
  const userId = randomUUID();
  const email = `cy.${userId.slice(0, 8)}@example.com`;
  const sealedEmail = await personalData.seal(userId, email);
  const sealedHash = await personalData.seal(userId, `$2b$04$${'a'.repeat(53)}`);
  await system.messageStore.write(identityStreamName(userId), {
    id: randomUUID(),
    type: 'Registered',
    data: { userId, email: sealedEmail, passwordHash: sealedHash },
    metadata: { userId },
  });
  const asOf = async () =>
    (
      await request(app)
        .get('/admin/as-of')
        .query({ kind: 'user', id: userId, at: '2999-01-01' })
        .set('cookie', admin.cookie)
        .expect(200)
    ).text;

  const html = await asOf();
  t.match(html, /<th scope="row">Email<\/th><td>c•••@example.com<\/td>/, 'masked');
  t.notOk(html.includes(email), 'not the full address');
  t.notOk(html.includes(sealedEmail.data), 'no ciphertext');
  await personalData.erase(userId);
  t.match(
    await asOf(),
    /<th scope="row">Email<\/th><td>\[sealed\]<\/td>/,
    'its key gone, the address does not open: [sealed], and the registration still folds',
  );
  await system.messageStore.write(identityStreamName(userId), {
    id: randomUUID(),
    type: 'UserErased',
    data: { userId, by: 'test' },
    metadata: {},
  });
  t.match(await asOf(), /<th scope="row">Email<\/th><td>\[erased\]<\/td>/, 'erased: [erased]');
});
