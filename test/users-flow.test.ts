import { readdir, readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import test from 'tape';
import { FROM_THIS_SITE, logIn, profileFields } from './helpers/accounts.ts';
import { csrfTokenOf } from './helpers/http.ts';
import { createTestSystem } from './helpers/test-system.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { startSmtpServer } from './fixtures/send-email-smtp-server.ts';
import type { System } from '../src/system.ts';
import { registrationEmailId } from '../src/components/identity/ids.ts';
import { isSealed } from '../src/personal-data/seal.ts';
import { closeAtEnd, scopedTest } from './helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';

/** Fills in and posts the registration form as a browser would; returns the user id and the answer. */
async function register(
  system: System,
  email: string,
  { userId, agent = request.agent(system.app) }: { userId?: string; agent?: ReturnType<typeof request.agent> } = {},
) {
  const page = await agent.get('/register');
  const id = userId ?? /name="userId" value="([^"]+)"/.exec(page.text)![1]!;
  const answer = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({
      _csrf: csrfTokenOf(page),
      userId: id,
      email,
      password: PASSWORD,
      passwordAgain: PASSWORD,
      ...profileFields(),
    });
  return { userId: id, answer, agent };
}

async function settled(system: System, userId: string, agent = request(system.app)) {
  return waitUntil(`the registration of ${userId} to be decided`, async () => {
    const page = await agent.get(`/register/${userId}`);
    return /http-equiv="refresh"/.test(page.text) ? undefined : page.text;
  });
}

scopedTest(
  'users: register → welcome email over SMTP → log in → the home page shows the user → log out',
  async (t, scope) => {
    const smtp = await startSmtpServer(scope);
    const lines: string[] = [];
    const logger = pino(
      { base: undefined, level: 'trace' },
      new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
    );
    const system = await createTestSystem({
      logger,
      mail: { smtpUrl: smtp.url, dir: 'unused', from: 'Video Tutorials <hello@video-tutorials.test>' },
      siteUrl: 'https://tutorials.test',
    });
    scope.add(system, (s) => s.stop());
    system.start();

    const { userId, answer, agent } = await register(system, 'Ada@Example.com');
    t.equal(answer.status, 303);
    t.match(await settled(system, userId, agent), /Registered — log in/, 'the page says the account is ready');

    const email = await waitUntil('the welcome email to arrive', async () => smtp.received[0]);
    t.deepEqual(email.envelopeTo, ['ada@example.com'], 'to the address registered (normalised)');
    t.match(email.raw, /^From: Video Tutorials <hello@video-tutorials\.test>/m, 'from MAIL_FROM');
    t.match(email.raw, /https:\/\/tutorials\.test\/auth\/log-in/, 'with a link to log in');
    t.match(email.raw, /text\/plain/, 'a text part');
    t.match(email.raw, /text\/html/, 'and an HTML part');
    await waitUntil(
      'RegistrationEmailSent',
      async () =>
        (await system.messageStore.readStream(`identity-${userId}`)).some(
          (message) => message.type === 'RegistrationEmailSent',
        ) || undefined,
    );
    // The Send and its Sent hold the address sealed with the user's key: none of it in plain text.
    const emailMessages = (
      await system.messageStore.readStream(`sendEmail:command-${registrationEmailId(userId)}`)
    ).concat(await system.messageStore.readStream(`sendEmail-${registrationEmailId(userId)}`));
    t.deepEqual(
      emailMessages.map((message) => message.type),
      ['Send', 'Sent'],
      'the Send and its Sent',
    );
    for (const message of emailMessages) {
      t.doesNotMatch(
        JSON.stringify(message.data).toLowerCase(),
        /ada@example\.com/,
        `${message.type} holds no plain address`,
      );
      t.ok(isSealed((message.data as { to: unknown }).to), `${message.type}'s to is sealed`);
      t.equal((message.data as { sealedFor?: string }).sealedFor, userId, `${message.type} is sealed for the user`);
    }

    t.equal(
      (await logIn(agent, 'ada@example.com', PASSWORD)).status,
      303,
      'log in with the new account as soon as the page says so',
    );
    const home = await agent.get('/').expect(200);
    // By their name, or by their address in the moment before the profile row lands.
    t.match(
      home.text,
      /site-nav__user" title="Logged in as ada@example\.com"><bdi>(?:Test Person|ada@example\.com)</,
      'the home page shows who is logged in',
    );
    await agent
      .post('/auth/log-out')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: csrfTokenOf(home) })
      .expect(303);
    t.doesNotMatch((await agent.get('/')).text, /site-nav__user/, 'and logs out');
    t.equal(smtp.received.length, 1, 'one welcome email in all');
    const logged = lines.join('');
    t.ok(lines.length > 10, `the whole flow was logged at trace level (${lines.length} lines)`);
    t.notOk(logged.includes(PASSWORD), 'no password in any log line');
    t.notOk(/\$2[aby]\$\d\d\$/.test(logged), 'no password hash in any log line');
  },
);

test('users: without SMTP_URL the welcome email is an .eml file in MAIL_DIR', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const { userId } = await register(system, 'grace@example.com');
  await settled(system, userId);
  const dir = system.mailDir;
  const files = await waitUntil('an .eml file', async () => {
    const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.eml'));
    return names.length > 0 ? names : undefined;
  });
  t.equal(files.length, 1, 'one file');
  const eml = await readFile(`${dir}/${files[0]}`, 'utf8');
  t.match(eml, /^To: grace@example\.com/m, 'addressed to the user');
  t.match(eml, /\/auth\/log-in/, 'with the log-in link');
});

test('users: one form posted twice is one registration; ten people racing for one email → one account', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const agent = request.agent(system.app);
  const first = await register(system, 'twice@example.com', { agent });
  const again = await register(system, 'twice@example.com', { agent, userId: first.userId });
  t.deepEqual([first.answer.status, again.answer.status], [303, 303], 'both posts answered');
  await settled(system, first.userId);
  const stream = await system.messageStore.readStream(`identity-${first.userId}`);
  t.equal(
    stream.filter((message) => message.type === 'Registered').length,
    1,
    'one Registered for the form posted twice',
  );

  const racers = await Promise.all(Array.from({ length: 10 }, () => register(system, 'race@example.com')));
  // A post that comes after the winner's account reached the projection is refused by the form;
  // the others race in the identity component.
  const accepted = racers.filter((racer) => racer.answer.status === 303);
  const refusedAtOnce = racers.filter(
    (racer) => racer.answer.status === 400 && /already has an account/.test(racer.answer.text),
  );
  t.equal(
    accepted.length + refusedAtOnce.length,
    10,
    `every post answered: ${accepted.length} accepted, ${refusedAtOnce.length} refused by the form`,
  );
  const outcomes = await Promise.all(accepted.map((racer) => settled(system, racer.userId)));
  t.equal(outcomes.filter((text) => /Registered — log in/.test(text)).length, 1, 'one registration wins');
  t.equal(
    outcomes.filter((text) => /already has an account/.test(text)).length,
    accepted.length - 1,
    'every other accepted post is told the email is taken',
  );
  const rows = await waitUntil('the credentials row', async () => {
    const found = await system.db('user_credentials').where({ email: 'race@example.com' });
    return found.length > 0 ? found : undefined;
  });
  t.equal(rows.length, 1, 'one credentials row');
});
