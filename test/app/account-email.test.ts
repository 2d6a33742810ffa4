import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { EMAIL_CHANGE_TRIES } from '../../src/app/account-email/index.ts';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import { identityCommandStreamName } from '../../src/contracts/identity.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { FROM_THIS_SITE, logIn, postRegistration, verifyUser } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;
const PASSWORD = 'correct horse battery';
const VIDEO = Buffer.from('not really a video, but bytes to store');

/**
 * The .eml files sent to `to` so far, oldest first, decoded (quoted-printable soft breaks and
 * escapes undone). Files are named by email id, so the directory's order says nothing of time.
 */
async function mailsTo(system: TestSystem, to: string): Promise<string[]> {
  const names = (await readdir(system.mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
  const written = await Promise.all(
    names.map(async (name) => ({ name, at: (await stat(path.join(system.mailDir, name))).mtimeMs })),
  );
  const oldestFirst = written.sort((a, b) => a.at - b.at).map(({ name }) => name);
  const mails = await Promise.all(oldestFirst.map((name) => readFile(path.join(system.mailDir, name), 'utf8')));
  return mails
    .filter((mail) => new RegExp(`^To: ${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(mail))
    .map((mail) =>
      mail
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    );
}

/** The verification page's path from the latest email to `to` that carries one. */
async function linkTo(system: TestSystem, to: string, count = 1): Promise<string> {
  return waitUntil(`a verification link in email ${count} to ${to}`, async () => {
    const links = (await mailsTo(system, to)).flatMap((mail) =>
      [...mail.matchAll(/https?:\/\/[^/\s]+(\/account\/verify\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/g)].map(
        (m) => m[1]!,
      ),
    );
    const unique = [...new Set(links)];
    return unique.length >= count ? unique[count - 1] : undefined;
  });
}

async function registered(system: TestSystem, email: string): Promise<{ userId: string; agent: TestAgent }> {
  const agent = request.agent(system.app);
  const { userId, response } = await postRegistration(agent, email, PASSWORD);
  if (response.status !== 303) throw new Error(`registration answered ${response.status}`);
  await waitUntil(
    `${email} can log in`,
    async () => (await system.db('user_credentials').where('user_id', userId).first()) !== undefined,
  );
  return { userId, agent };
}

async function loggedIn(system: TestSystem, email: string): Promise<{ userId: string; agent: TestAgent }> {
  const { userId } = await registered(system, email);
  const agent = request.agent(system.app);
  const answer = await logIn(agent, email, PASSWORD);
  if (answer.status !== 303) throw new Error(`log-in answered ${answer.status}`);
  return { userId, agent };
}

const commandTypes = async (system: TestSystem, userId: string) =>
  (await system.messageStore.readStream(identityCommandStreamName(userId))).map((message) => message.type);

/** Opens a link's page and presses its button, as a logged-out visitor; returns the outcome page once decided. */
async function confirm(system: TestSystem, agent: TestAgent, link: string) {
  const page = await agent.get(link).expect(200);
  const posted = await agent
    .post(link)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(page) })
    .expect(303);
  return waitUntil('the outcome', async () => {
    const outcome = await agent.get(posted.headers.location as string);
    return /refreshes by itself/.test(outcome.text) ? undefined : outcome;
  });
}

scopedTest(
  'email verification: the welcome email’s link works logged out; opening it confirms nothing until the button; used twice says so',
  async (t, scope) => {
    const system = scope.running(await createTestSystem());
    system.start();
    const { userId } = await registered(system, 'ada@example.com');
    const link = await linkTo(system, 'ada@example.com');
    t.ok(link.startsWith(`/account/verify/${userId}/`), 'the welcome email carries a link to the verification page');

    const visitor = request.agent(system.app);
    const page = await visitor.get(link).expect(200);
    t.match(page.text, /Confirm my address/, 'a logged-out visitor gets a button');
    t.notOk(
      (await commandTypes(system, userId)).includes('VerifyEmail'),
      'opening the link (as a mail scanner would) confirms nothing',
    );

    const outcome = await confirm(system, request.agent(system.app), link);
    t.equal(outcome.status, 200);
    t.match(outcome.text, /Your address is confirmed/, 'the button confirms it, logged out');
    await waitUntil(
      'verified in user_credentials',
      async () => (await system.db('user_credentials').where('user_id', userId).first())?.email_verified === true,
    );

    const again = await visitor.get(link);
    t.match(again.text, /already used/, 'the link opened again says it was used');
    const posted = await visitor
      .post(link)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: csrfTokenOf(page) });
    t.equal(posted.status, 303, 'the same form posted again names the same command');
    t.equal(
      (await commandTypes(system, userId)).filter((type) => type === 'VerifyEmail').length,
      1,
      'one VerifyEmail for one link pressed twice',
    );

    const forged = await visitor.get(`${link.slice(0, -3)}AAA`);
    t.equal(forged.status, 400, 'a damaged link → 400');
    t.match(forged.text, /Copy the whole link/);
    await eraseUser({ messageStore: system.messageStore, personalData: createPersonalData(system.db) }, userId, {
      by: 'test',
      traceId: 'test',
    });
    t.equal((await visitor.get(link)).status, 404, 'a link for an erased user → 404, no such account');
  },
);

scopedTest(
  'email verification: uploads are refused until the address is confirmed, then allowed; "send the link again" is limited',
  async (t, scope) => {
    const system = scope.running(await createTestSystem());
    system.start();
    const { userId, agent } = await loggedIn(system, 'grace@example.com');
    const portal = await agent.get('/creators-portal').expect(200);
    t.match(portal.text, /Please confirm your email address first/, 'the portal says why there is no upload form');
    t.doesNotMatch(portal.text, /name="video"/, 'and shows none');

    const refused = await agent
      .post(`/creators-portal/videos?_csrf=${encodeURIComponent(csrfTokenOf(portal))}`)
      .set(FROM_THIS_SITE)
      .attach('video', VIDEO, 'a.mp4');
    t.equal(refused.status, 403, 'an upload before confirming → 403');
    t.match(refused.text, /Your video was not uploaded/);
    t.equal(
      (await readdir(system.videoDir, { recursive: true })).filter((name) => name.startsWith('source/')).length,
      0,
      'and nothing is kept',
    );

    // The link again, three times a day (the welcome email's rule); each waits for the last to be sent.
    for (let n = 1; n <= 3; n += 1) {
      const page = await waitUntil(`the portal offers the link again (${n})`, async () => {
        const current = await agent.get('/creators-portal');
        return /Send the link again/.test(current.text) ? current : undefined;
      });
      const requestId = /name="requestId" value="([^"]+)"/.exec(page.text)![1]!;
      const asked = await agent
        .post(`/register/${userId}/welcome-email`)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: csrfTokenOf(page), requestId, returnTo: '/creators-portal' });
      t.equal(asked.status, 303, `asked again (${n})`);
      t.equal(asked.headers.location, '/creators-portal', 'and back to the portal');
      await linkTo(system, 'grace@example.com', n + 1);
    }
    const limited = await waitUntil('the limit shown', async () => {
      const current = await agent.get('/creators-portal');
      return /You have asked for it several times today/.test(current.text) ? current : undefined;
    });
    const fourth = await agent
      .post(`/register/${userId}/welcome-email`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({
        _csrf: csrfTokenOf(limited),
        requestId: '7c2e9a4b-1f3d-4e5a-8b6c-9d0e1f2a3b4c',
        returnTo: '/creators-portal',
      });
    t.equal(fourth.status, 429, 'a fourth time in a day → 429');

    const first = await linkTo(system, 'grace@example.com', 1);
    t.match(
      (await request(system.app).get(first)).text,
      /A newer link was sent/,
      'the first link is void once a new one was sent',
    );
    await verifyUser(system, userId);
    const open = await agent.get('/creators-portal').expect(200);
    t.match(open.text, /name="video"/, 'once confirmed, the upload form is there');
    const upload = await agent
      .post(/action="(\/creators-portal\/videos\?_csrf=[^"]+)"/.exec(open.text)![1]!.replace(/&amp;/g, '&'))
      .set(FROM_THIS_SITE)
      .attach('video', VIDEO, 'a.mp4');
    t.equal(upload.status, 303, 'and an upload is taken');
  },
);

scopedTest(
  'email change: a taken address is refused; a new one switches only when confirmed, and the old one is free for someone else',
  async (t, scope) => {
    const system = scope.running(await createTestSystem());
    system.start();
    const { userId, agent } = await loggedIn(system, 'lin@example.com');
    await registered(system, 'taken@example.com');
    const change = (form: object) =>
      agent.get('/account/email').then((page) =>
        agent
          .post('/account/email')
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: csrfTokenOf(page), ...form }),
      );

    const taken = await change({ email: 'Taken@example.com', currentPassword: PASSWORD });
    t.equal(taken.status, 400, 'an address someone has → 400');
    t.match(taken.text, /already belongs to an account/);
    const wrong = await change({ email: 'new@example.com', currentPassword: 'not my password' });
    t.equal(wrong.status, 400, 'a wrong current password → 400');
    t.match(wrong.text, /not your current password/);
    t.notOk((await commandTypes(system, userId)).includes('ChangeEmail'), 'nothing asked of identity');

    const asked = await change({ email: 'New@Example.com', currentPassword: PASSWORD });
    t.equal(asked.status, 303);
    const status = await waitUntil('the change decided', async () => {
      const page = await agent.get(asked.headers.location as string);
      return /refreshes by itself/.test(page.text) ? undefined : page;
    });
    t.match(status.text, /Check your new inbox/, 'the page says a link was sent');
    const notice = await waitUntil('the notice', async () =>
      (await mailsTo(system, 'lin@example.com')).find((mail) => /Someone asked to change/.test(mail)),
    );
    t.match(notice, /wasn.t you/, 'the old address is told');
    const link = await linkTo(system, 'new@example.com');
    t.equal(
      (await logIn(request.agent(system.app), 'new@example.com', PASSWORD)).status,
      401,
      'nothing switched before the link is used',
    );

    const outcome = await confirm(system, request.agent(system.app), link);
    t.match(outcome.text, /Your new address is confirmed/, 'the link switches the account, logged out');
    await waitUntil(
      'log-in with the new address',
      async () => (await logIn(request.agent(system.app), 'new@example.com', PASSWORD)).status === 303,
    );
    t.equal(
      (await logIn(request.agent(system.app), 'lin@example.com', PASSWORD)).status,
      401,
      'the old address no longer logs in',
    );
    const eve = await registered(system, 'lin@example.com');
    t.ok(eve.userId, 'someone else registers the old address');
  },
);

scopedTest('email change: tries of the form are limited per user, right password or wrong', async (t, scope) => {
  const system = scope.running(await createTestSystem());
  system.start();
  const { agent } = await loggedIn(system, 'kim@example.com');
  const tryOnce = async () => {
    const page = await agent.get('/account/email');
    return agent
      .post('/account/email')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: csrfTokenOf(page), email: 'other@example.com', currentPassword: 'a guess' });
  };
  for (let n = 1; n <= EMAIL_CHANGE_TRIES.points; n += 1)
    t.equal((await tryOnce()).status, 400, `wrong password ${n} → 400`);
  const limited = await tryOnce();
  t.equal(limited.status, 429, `try ${EMAIL_CHANGE_TRIES.points + 1} in an hour → 429`);
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After');
  t.match(limited.text, /several times in the last hour/);
});
