import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { createPersonalData, isSealed, type Sealed } from '../../src/personal-data/seal.ts';
import { FROM_THIS_SITE, logIn, seedAccount, profileFields } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const hiddenUserId = (html: string) => /name="userId" value="([^"]*)"/.exec(html)?.[1] ?? '';

test('register: the form carries a CSRF token and a user id made on the server', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const page = await agent.get('/register').expect(200);
  t.ok(csrfTokenOf(page), 'a CSRF token');
  t.match(hiddenUserId(page.text), UUID, 'a user id (a UUID)');
  t.doesNotMatch(
    page.text,
    /site-nav__user|Log out/,
    "the form's user id does not make the header think someone is logged in",
  );
  t.match(page.text, /href="\/auth\/log-in/, 'the header offers to log in');
  t.notEqual(hiddenUserId((await agent.get('/register')).text), hiddenUserId(page.text), 'a new one for each form');
});

test('register: a valid form writes one Register command (a bcrypt hash, never the password) and 303s to its page', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  const userId = hiddenUserId(page.text);
  const password = 'a good long password';
  const answer = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({
      _csrf: csrfTokenOf(page),
      userId,
      email: '  New.User@Example.COM ',
      password,
      passwordAgain: password,
      ...profileFields(),
    });
  t.equal(answer.status, 303);
  t.equal(answer.headers.location, `/register/${userId}`);

  const commands = await system.messageStore.readStream(`identity:command-${userId}`);
  t.equal(commands.length, 1, 'one command');
  const data = commands[0]?.data as { userId: string; email: Sealed; passwordHash: Sealed };
  t.equal(commands[0]?.type, 'Register');
  t.equal(data.userId, userId);
  t.ok(isSealed(data.email) && isSealed(data.passwordHash), "email and hash sealed with the user's key");
  const personalData = createPersonalData(system.db);
  t.equal(await personalData.open(userId, data.email), 'new.user@example.com', 'the email trimmed and lower-cased');
  t.match(
    (await personalData.open(userId, data.passwordHash)) ?? '',
    /^\$2b\$04\$/,
    'a bcrypt hash at the configured cost',
  );
  t.notOk(JSON.stringify(commands[0]).includes(password), 'the password itself is nowhere in the message');
  t.equal(commands[0]?.metadata.userId, userId, 'metadata: userId');
  t.ok(commands[0]?.metadata.traceId, 'metadata: traceId');

  const status = await agent.get(`/register/${userId}`).expect(200);
  t.match(status.text, /<meta http-equiv="refresh" content="1">/, 'pending: the page refreshes itself, no script');
  t.match(status.text, /being checked/);
});

test('register: each broken rule gets a 400 with its message, the email kept, the password never, nothing written', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  const base = {
    _csrf: csrfTokenOf(page),
    userId: hiddenUserId(page.text),
    email: 'someone@example.com',
    password: 'long enough 1',
    passwordAgain: 'long enough 1',
    ...profileFields(),
  };
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['no email', { email: '' }, /Enter your email/],
    ['not an email', { email: 'not-an-email' }, /does not look like an email/],
    ['an email of 10,000 characters', { email: `${'a'.repeat(10_000)}@example.com` }, /at most 254 characters/],
    ['a short password', { password: 'short', passwordAgain: 'short' }, /at least 8/],
    [
      'a password over 72 bytes',
      { password: 'é'.repeat(37), passwordAgain: 'é'.repeat(37) },
      /That password is too long: a password holds up to 72 plain letters, digits and punctuation marks \(an accented letter counts as two, an emoji as four\)\. Choose a shorter one\./,
    ],
    ['a password with a tab', { password: 'long\tenough 1', passwordAgain: 'long\tenough 1' }, /control characters/],
    [
      'a password with a line break',
      { password: 'long enough\n1', passwordAgain: 'long enough\n1' },
      /control characters/,
    ],
    [
      'a password with a NUL',
      { password: 'long enough\u00001', passwordAgain: 'long enough\u00001' },
      /control characters/,
    ],
    [
      'a password with a C1 control',
      { password: 'long enough\u00851', passwordAgain: 'long enough\u00851' },
      /control characters/,
    ],
    ['passwords that differ', { passwordAgain: 'something else' }, /not the same/],
    ['a user id that is not a UUID', { userId: 'user-1; DROP TABLE' }, /form was damaged/],
  ];
  for (const [name, change, message] of cases) {
    const answer = await agent
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ ...base, ...change });
    t.equal(answer.status, 400, `${name} → 400`);
    t.match(answer.text, message, `${name}: says what is wrong`);
    if (!('email' in change)) t.match(answer.text, /value="someone@example.com"/, `${name}: the email is kept`);
    t.notOk(answer.text.includes(base.password), `${name}: the password is not sent back`);
  }
  t.equal((await system.messageStore.readCategory('identity:command')).length, 0, 'nothing written');
});

test('register: an email already in the credentials projection is refused at once', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const existing = await seedAccount(system.db);
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  const answer = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({
      _csrf: csrfTokenOf(page),
      userId: hiddenUserId(page.text),
      email: existing.email.toUpperCase(),
      password: 'long enough 1',
      passwordAgain: 'long enough 1',
      ...profileFields(),
    });
  t.equal(answer.status, 400);
  t.match(answer.text, /That email address already has an account\./, 'a sentence, not the reason code');
  t.doesNotMatch(answer.text, /email already registered/, 'the code itself never shows');
  const logIn = /<a href="(\/auth\/log-in\?email=[^"]+)">Log in instead<\/a>/.exec(answer.text);
  t.ok(logIn, '"Log in instead" is a link to the log-in page');
  const logInPage = await agent.get(logIn![1]!.replaceAll('&amp;', '&')).expect(200);
  t.match(
    logInPage.text,
    new RegExp(`name="email" value="${existing.email.toLowerCase().replaceAll('.', '\\.')}"`),
    'with the address already typed in',
  );
  t.equal((await system.messageStore.readCategory('identity:command')).length, 0, 'nothing written');
});

test('register: no CSRF token, or a post from another site → 403 and nothing written', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const fields = {
    userId: randomUUID(),
    email: 'someone@example.com',
    password: 'long enough 1',
    passwordAgain: 'long enough 1',
  };
  t.equal(
    (await request(system.app).post('/register').set(FROM_THIS_SITE).type('form').send(fields)).status,
    403,
    'no token → 403',
  );
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  t.equal(
    (
      await agent
        .post('/register')
        .set('Sec-Fetch-Site', 'cross-site')
        .type('form')
        .send({ ...fields, _csrf: csrfTokenOf(page) })
    ).status,
    403,
    'another site → 403',
  );
  t.equal((await system.messageStore.readCategory('identity:command')).length, 0, 'nothing written');
});

test('register: refused politely while logged in', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  t.equal((await logIn(agent, account.email, account.password)).status, 303);
  const page = await agent.get('/register').expect(200);
  t.match(page.text, /already logged in/, 'the page says to log out first');
  t.doesNotMatch(page.text, /name="passwordAgain"/, 'and shows no form');
  const home = await agent.get('/');
  const posted = await agent
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({
      _csrf: csrfTokenOf(home),
      userId: randomUUID(),
      email: 'second@example.com',
      password: 'long enough 1',
      passwordAgain: 'long enough 1',
      ...profileFields(),
    });
  t.equal(posted.status, 403, 'a post anyway → 403');
  t.equal((await system.messageStore.readCategory('identity:command')).length, 0, 'nothing written');
});

test('register: registrations per address are limited (429 with Retry-After)', async (t) => {
  const system = await createTestSystem({
    rateLimits: {
      registrationsPerAddress: { points: 2, windowSeconds: 3600 },
      videoEditsPerCreator: { points: 1_000, windowSeconds: 60 },
    },
  });
  closeAtEnd(t, () => system.stop());
  const statuses: number[] = [];
  let last;
  for (let n = 0; n < 3; n += 1) {
    const agent = request.agent(system.app);
    const page = await agent.get('/register');
    last = await agent
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({
        _csrf: csrfTokenOf(page),
        userId: hiddenUserId(page.text),
        email: `user${n}@example.com`,
        password: 'long enough 1',
        passwordAgain: 'long enough 1',
        ...profileFields(),
      });
    statuses.push(last.status);
  }
  t.deepEqual(statuses, [303, 303, 429], 'the third from one address is over the limit');
  t.ok(Number(last?.headers['retry-after']) > 0, 'Retry-After');
  t.equal((await system.messageStore.readCategory('identity:command')).length, 2, 'only two commands');
});

test('register: the status page follows the identity stream; unknown ids are 404', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  t.equal((await agent.get(`/register/${randomUUID()}`)).status, 404, 'an id nobody registered → 404');
  t.equal((await agent.get('/register/not-a-uuid')).status, 404, 'not an id → 404');

  const registered = randomUUID();
  await system.messageStore.write(`identity-${registered}`, {
    id: randomUUID(),
    type: 'Registered',
    data: { email: 'r@example.com' },
    metadata: {},
  });
  const early = await agent.get(`/register/${registered}`).expect(200);
  t.match(
    early.text,
    /http-equiv="refresh"/,
    'decided, but not yet in the credentials log-in reads: still being set up',
  );
  await system
    .db('user_credentials')
    .insert({ user_id: registered, email: 'r@example.com', password_hash: 'x', registered_at: new Date() });
  const done = await agent.get(`/register/${registered}`).expect(200);
  t.match(done.text, /Registered — log in/, 'once log-in would work, the page says so');
  t.doesNotMatch(done.text, /http-equiv="refresh"/, 'no more refreshing');

  const rejected = randomUUID();
  await system.messageStore.write(`identity-${rejected}`, {
    id: randomUUID(),
    type: 'RegistrationRejected',
    data: { reason: 'email already registered' },
    metadata: {},
  });
  const refused = (await agent.get(`/register/${rejected}`).expect(200)).text;
  t.match(refused, /That email address already has an account\./, 'the reason code becomes a sentence');
  t.match(
    refused,
    /<a class="button button--primary" href="\/auth\/log-in">Log in instead<\/a>/,
    'and the next step is a link',
  );
  t.doesNotMatch(refused, /email already registered/);
});

test('register: a form sent again after it was decided: the same address gets the same answer, another a fresh form', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const page = await agent.get('/register');
  const userId = hiddenUserId(page.text);
  const send = (email: string) =>
    agent
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({
        _csrf: csrfTokenOf(page),
        userId,
        email,
        password: 'long enough 1',
        passwordAgain: 'long enough 1',
        ...profileFields(),
      });
  t.equal((await send('first@example.com')).status, 303);
  // As the identity component would decide it.
  await system.messageStore.write(`identity-${userId}`, {
    id: randomUUID(),
    type: 'Registered',
    data: { userId, email: 'first@example.com' },
    metadata: {},
  });

  const same = await send('first@example.com');
  t.equal(same.status, 303, 'the same address again → the same registration');
  t.equal(same.headers.location, `/register/${userId}`);
  const other = await send('second@example.com');
  t.equal(other.status, 400, 'another address on a used form → 400');
  t.match(other.text, /already used to register/, 'says why');
  t.notEqual(hiddenUserId(other.text), userId, 'with a fresh form');
  t.match(other.text, /value="second@example.com"/, 'the address kept');
  t.equal((await system.messageStore.readStream(`identity:command-${userId}`)).length, 1, 'no second command written');
});
