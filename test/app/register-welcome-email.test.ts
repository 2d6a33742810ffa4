import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { identityCommandStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { registrationEmailId, resentRegistrationEmailId } from '../../src/components/identity/ids.ts';
import { RESEND_LIMIT } from '../../src/components/identity/welcome-email.ts';
import type { System } from '../../src/system.ts';
import { FROM_THIS_SITE, profileFields } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { startSmtpServer } from '../fixtures/send-email-smtp-server.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';
const requestIdOf = (html: string) => /name="requestId" value="([^"]+)"/.exec(html)?.[1];
const refreshOf = (html: string) => /<meta http-equiv="refresh" content="(\d+)">/.exec(html)?.[1];

/** Registers through the form, as a browser would; the agent is then the browser that registered. */
async function register(agent: TestAgent, email = `welcome-${randomUUID().slice(0, 8)}@example.com`): Promise<string> {
  const page = await agent.get('/register');
  const userId = /name="userId" value="([^"]+)"/.exec(page.text)![1]!;
  await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page), userId, email, password: PASSWORD, passwordAgain: PASSWORD, ...profileFields() })
    .expect(303);
  return userId;
}

const typesIn = async (system: System, stream: string) =>
  (await system.messageStore.readStream(stream)).map((message) => message.type);

scopedTest(
  'registration page: a welcome email refused by the server says so, and the person who registered (only they) can have it sent again, once per form',
  async (t, scope) => {
    // The server refuses the first email for good, and takes the next.
    const smtp = await startSmtpServer(scope, (attempt) =>
      attempt === 1 ? { code: 550, message: '5.1.1 mailbox unavailable' } : undefined,
    );
    const system = scope.add(
      await createTestSystem({
        mail: { smtpUrl: smtp.url, dir: 'unused', from: 'Video Tutorials <hello@video-tutorials.test>' },
      }),
      (s) => s.stop(),
    );
    system.start();
    const owner = request.agent(system.app);
    const email = `welcome-${randomUUID().slice(0, 8)}@example.com`;
    const userId = await register(owner, email);
    await waitUntil('the welcome email failed', async () =>
      (await typesIn(system, identityStreamName(userId))).includes('RegistrationEmailFailed'),
    );
    await waitUntil('log-in works', async () =>
      /Registered — log in/.test((await owner.get(`/register/${userId}`)).text),
    );

    const page = await owner.get(`/register/${userId}`).expect(200);
    t.match(page.text, /We could not send your welcome email/, 'the page says it failed');
    t.doesNotMatch(page.text, /on its way/, 'and no longer that it is on its way');
    // Ids and tokens are random, and a uuid may hold "550": only what the visitor reads is looked at.
    const shownText = page.text.replace(/<!--.*?-->|value="[^"]*"|\/register\/[0-9a-f-]+/g, '');
    t.doesNotMatch(shownText, /550|mailbox/, "no server's words for the visitor");
    t.equal(refreshOf(page.text), undefined, 'nothing to wait for: no refreshing');
    t.match(page.text, /<button[^>]*>Send it again<\/button>/, 'the person who registered is offered to send it again');

    const stranger = request.agent(system.app);
    const seen = await stranger.get(`/register/${userId}`).expect(200);
    t.doesNotMatch(seen.text, /Send it again<\/button>/, 'someone else is not');
    t.match(seen.text, /If this is your account, log in/, 'and told how the owner could');
    const strangerToken = csrfTokenOf(await stranger.get('/register'));
    // Someone who knows the page's id and the address posts the registration form again with them.
    await stranger
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: strangerToken, userId, email, password: PASSWORD, passwordAgain: PASSWORD, ...profileFields() })
      .expect(303);
    t.doesNotMatch(
      (await stranger.get(`/register/${userId}`)).text,
      /Send it again<\/button>/,
      'which does not make them the one who registered',
    );
    const refused = await stranger
      .post(`/register/${userId}/welcome-email`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: strangerToken, requestId: randomUUID() });
    t.equal(refused.status, 403, 'their post is refused');
    t.match(refused.text, /Only the person who registered this account/, 'saying who may');

    const form = { _csrf: csrfTokenOf(page), requestId: requestIdOf(page.text) };
    const asked = await owner.post(`/register/${userId}/welcome-email`).set(FROM_THIS_SITE).type('form').send(form);
    t.equal(asked.status, 303, 'the owner is sent back to the page');
    t.equal(asked.headers.location, `/register/${userId}`);
    const onItsWay = await owner.get(`/register/${userId}`);
    t.ok(/on its way|We have sent you/.test(onItsWay.text), 'which says it is on its way (or already sent)');

    const [command] = (await system.messageStore.readStream(identityCommandStreamName(userId))).filter(
      (message) => message.type === 'ResendRegistrationEmail',
    );
    await waitUntil(
      'the new email sent',
      async () => (await typesIn(system, identityStreamName(userId))).at(-1) === 'RegistrationEmailSent',
    );
    t.equal(smtp.received.length, 1, 'the second email arrived');
    t.deepEqual(
      (await system.messageStore.readStream(identityStreamName(userId)))
        .filter((event) => event.type === 'RegistrationEmailSent')
        .map((event) => (event.data as { emailId: string }).emailId),
      [resentRegistrationEmailId(command!.id)],
      'the email sent is the new one',
    );
    t.match((await owner.get(`/register/${userId}`)).text, /We have sent you a welcome email/, 'and the page says so');

    await owner.post(`/register/${userId}/welcome-email`).set(FROM_THIS_SITE).type('form').send(form).expect(303);
    const commands = await typesIn(system, identityCommandStreamName(userId));
    t.deepEqual(commands, ['Register', 'ResendRegistrationEmail'], 'the same form posted again asks for nothing more');
    t.equal(smtp.received.length, 1, 'and sends nothing more');
  },
);

scopedTest(
  'registration page: while the welcome email is being retried, the page says so and refreshes slowly; no button',
  async (t, scope) => {
    const smtp = await startSmtpServer(scope, () => ({ code: 451, message: '4.3.0 try again later' }));
    const system = scope.add(
      await createTestSystem({
        mail: { smtpUrl: smtp.url, dir: 'unused', from: 'Video Tutorials <hello@video-tutorials.test>' },
      }),
      (s) => s.stop(),
    );
    system.start();
    const owner = request.agent(system.app);
    const userId = await register(owner);
    await waitUntil('a deferral recorded', async () =>
      (await typesIn(system, identityStreamName(userId))).includes('RegistrationEmailDeferred'),
    );
    const page = await waitUntil('the page past setting up', async () => {
      const answer = await owner.get(`/register/${userId}`);
      return /Registered — log in/.test(answer.text) && answer;
    });
    t.match(page.text, /We could not deliver your welcome email yet. We are still trying/, 'it is being retried');
    t.equal(refreshOf(page.text), '60', 'and the page looks again in a minute');
    t.doesNotMatch(page.text, /Send it again<\/button>/, 'no second email while the first may still arrive');
    const registered = await typesIn(system, identityStreamName(userId));
    t.notOk(registered.includes('RegistrationEmailFailed'), 'nothing has failed for good');
  },
);

scopedTest(
  `registration page: the person who registered may have it again ${RESEND_LIMIT.times} times a day, then gets a 429 saying when`,
  async (t, scope) => {
    // Subscribers off: the identity stream is written here, as identity would.
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const owner = request.agent(system.app);
    const userId = await register(owner);
    const stream = identityStreamName(userId);
    const write = (type: string, data: Record<string, unknown>) =>
      system.messageStore.write(stream, { id: randomUUID(), type, data: { userId, ...data }, metadata: {} });
    await write('Registered', { email: 'someone@example.com', passwordHash: `$2b$04$${'a'.repeat(53)}` });
    await system
      .db('user_credentials')
      .insert({ user_id: userId, email: 'someone@example.com', password_hash: 'x', registered_at: new Date() });
    await write('RegistrationEmailSent', { emailId: registrationEmailId(userId) });
    for (let n = 0; n < RESEND_LIMIT.times; n += 1) {
      const emailId = randomUUID();
      await write('RegistrationEmailRequested', { emailId });
      await write('RegistrationEmailSent', { emailId });
    }

    const page = await owner.get(`/register/${userId}`).expect(200);
    t.doesNotMatch(page.text, /Send it again<\/button>/, 'no button past the limit');
    t.match(page.text, /You can ask again in about 2\d hours/, 'but when it can be asked again');
    const token = csrfTokenOf(await owner.get('/register'));
    const refused = await owner
      .post(`/register/${userId}/welcome-email`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: token, requestId: randomUUID() });
    t.equal(refused.status, 429, 'a post anyway: 429');
    t.ok(Number(refused.headers['retry-after']) > 20 * 3600, 'with Retry-After');
    t.match(refused.text, /Try again in about 2\d hours/, 'saying when, in words');
    t.deepEqual(await typesIn(system, identityCommandStreamName(userId)), ['Register'], 'nothing written');

    const damaged = await owner
      .post(`/register/${userId}/welcome-email`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: token, requestId: 'not-an-id' });
    t.equal(damaged.status, 400, 'a damaged form: 400');
    t.equal(
      (
        await owner
          .post(`/register/${randomUUID()}/welcome-email`)
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: token, requestId: randomUUID() })
      ).status,
      404,
      'a registration nobody made: 404',
    );
  },
);
