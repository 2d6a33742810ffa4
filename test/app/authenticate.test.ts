import { Writable } from 'node:stream';
import Keygrip from 'keygrip';
import { pino } from 'pino';
import request from 'supertest';
import test from 'tape';
import { FROM_THIS_SITE, logIn, seedAccount } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { AUTHENTICATION_CATEGORY, authenticationSchemas } from '../../src/contracts/authentication.ts';
import { createSystem } from '../../src/system.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { catalogVideo } from '../helpers/viewings.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const GENEROUS = { points: 100, windowSeconds: 60 };
const ROOMY_THROTTLE = {
  failuresPerDevice: GENEROUS,
  failuresPerAddress: GENEROUS,
  untrustedPerAccount: { tries: 100, refillSeconds: 1 },
};

test('log in: the right password logs in, writes UserLoggedIn and the layout shows who', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  const page = await agent.get('/auth/log-in?returnTo=%2F%3Fafter%3Dlogin').expect(200);
  t.match(page.text, /name="returnTo" value="\/\?after=login"/, 'the form keeps where to go back to');
  const before = csrfTokenOf(page);

  const answer = await logIn(agent, account.email.toUpperCase(), account.password, { returnTo: '/?after=login' });
  t.equal(answer.status, 303, 'post/redirect/get');
  t.equal(answer.headers.location, '/?after=login', 'back to the page that asked (email compared case-insensitively)');

  const events = await system.messageStore.readStream(`authentication-${account.userId}`);
  t.deepEqual(
    events.map((event) => event.type),
    ['UserLoggedIn'],
  );
  t.deepEqual(events[0]?.data, { userId: account.userId });
  t.ok(authenticationSchemas.UserLoggedIn.safeParse(events[0]?.data).success, 'as its contract says');
  t.equal(events[0]?.metadata.userId, account.userId, 'metadata names the user');
  t.ok(events[0]?.metadata.traceId, 'and the trace');

  const home = await agent.get('/').expect(200);
  t.match(
    home.text,
    new RegExp(`site-nav__user[^>]*><bdi>${account.email.replace('.', '\\.')}<`),
    'the header shows who is logged in: their address while they have no name',
  );
  await system
    .db('user_profiles')
    .insert({ user_id: account.userId, display_name: 'Ada <Lovelace>', handle: 'ada-header' });
  const named = (await agent.get('/').expect(200)).text;
  t.match(
    named,
    /site-nav__user" title="Logged in as [^"]+"><bdi>Ada &lt;Lovelace&gt;<\/bdi>/,
    'and their display name once they have one, escaped, the address in its tooltip',
  );
  t.match(home.text, /action="\/auth\/log-out" method="post"/, 'with a log-out button');
  t.notEqual(csrfTokenOf(home), before, 'a new CSRF token at log-in');
  t.match(home.text, /class="flash"[^>]*>You are logged in\.</, 'and says so once');

  const viewing = await catalogVideo(system.db);
  await agent
    .post(`/record-viewing/${viewing}`)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(home) })
    .expect(303);
  const [viewed] = await system.messageStore.readStream(`viewing-${viewing}`);
  t.equal(
    (viewed?.data as { userId?: string }).userId,
    account.userId,
    'a viewing by a logged-in user carries their id',
  );
});

test('log in: a wrong password and an unknown email get the same 401; only the first writes UserLoginFailed', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const wrong = await logIn(request.agent(system.app), account.email, 'not the password');
  const unknown = await logIn(request.agent(system.app), 'nobody@example.com', 'not the password');
  t.equal(wrong.status, 401);
  t.equal(unknown.status, 401);
  const message = (text: string) => /class="form-error"[^>]*>([^<]+)</.exec(text)?.[1];
  t.ok(message(wrong.text), 'the page says what went wrong');
  t.equal(message(wrong.text), message(unknown.text), 'in the same words for both');
  t.match(wrong.text, new RegExp(`value="${account.email.replace('.', '\\.')}"`), 'the email is kept in the form');
  t.doesNotMatch(wrong.text, /not the password/, 'the password is not');

  const events = await system.messageStore.readStream(`authentication-${account.userId}`);
  t.deepEqual(
    events.map((event) => [event.type, event.data]),
    [['UserLoginFailed', { userId: account.userId, reason: 'wrong password' }]],
  );
  t.equal(
    (await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).length,
    1,
    'the unknown email wrote nothing',
  );
});

test('log in: a missing or wrong CSRF token, or a post from elsewhere, is refused and writes nothing', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const fresh = request.agent(system.app);
  const noSession = await fresh
    .post('/auth/log-in')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ email: account.email, password: account.password });
  t.equal(noSession.status, 403, 'no token (no session) → 403');

  const agent = request.agent(system.app);
  await agent.get('/auth/log-in').expect(200);
  const wrongToken = await agent
    .post('/auth/log-in')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: 'forged', email: account.email, password: account.password });
  t.equal(wrongToken.status, 403, 'a wrong token → 403');
  const page = await agent.get('/auth/log-in');
  const crossSite = await agent
    .post('/auth/log-in')
    .set('Sec-Fetch-Site', 'cross-site')
    .type('form')
    .send({ _csrf: csrfTokenOf(page), email: account.email, password: account.password });
  t.equal(crossSite.status, 403, 'a right token from another site → 403');

  t.equal((await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).length, 0, 'nothing written');
  t.doesNotMatch((await agent.get('/').expect(200)).text, /site-nav__user/, 'and nobody is logged in');
});

test('log out: a GET changes nothing; the POST writes UserLoggedOut and ends the session', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  t.equal((await logIn(agent, account.email, account.password)).status, 303);

  const confirm = await agent.get('/auth/log-out').expect(200);
  t.match(confirm.text, /action="\/auth\/log-out" method="post"/, 'a GET shows a form');
  t.match((await agent.get('/').expect(200)).text, /site-nav__user/, 'and the user is still logged in');
  const types = async () =>
    (await system.messageStore.readStream(`authentication-${account.userId}`)).map((event) => event.type);
  t.deepEqual(await types(), ['UserLoggedIn'], 'no UserLoggedOut from a GET');

  const noToken = await agent.post('/auth/log-out').set(FROM_THIS_SITE).type('form').send({});
  t.equal(noToken.status, 403, 'log-out needs the CSRF token too');

  const out = await agent
    .post('/auth/log-out')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(confirm) });
  t.equal(out.status, 303);
  t.deepEqual(await types(), ['UserLoggedIn', 'UserLoggedOut']);
  const home = await agent.get('/').expect(200);
  t.doesNotMatch(home.text, /site-nav__user/, 'logged out');
  t.match(home.text, /<p class="flash" role="status">You are logged out\.<\/p>/, 'and told so');
  t.match(home.text, /href="\/register"/, 'the header offers log-in and register again');
  t.doesNotMatch((await agent.get('/').expect(200)).text, /You are logged out/, 'once');
});

test('log in: after the allowance of failures a new browser gets 429 with Retry-After, even with the right password', async (t) => {
  const system = await createTestSystem({
    loginThrottle: { ...ROOMY_THROTTLE, untrustedPerAccount: { tries: 3, refillSeconds: 600 } },
  });
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  for (let n = 0; n < 3; n += 1)
    t.equal(
      (await logIn(request.agent(system.app), account.email, `guess ${n}`)).status,
      401,
      `failure ${n + 1} → 401`,
    );
  const limited = await logIn(request.agent(system.app), account.email, account.password);
  t.equal(limited.status, 429, 'over the limit → 429');
  t.ok(
    Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 600,
    'Retry-After says when',
  );
  t.match(limited.text, /Too many failed log-ins/, 'and the page says why');
  t.equal(
    (await system.messageStore.readStream(`authentication-${account.userId}`)).length,
    3,
    'the refused try wrote nothing',
  );

  const other = await seedAccount(system.db);
  t.equal(
    (await logIn(request.agent(system.app), other.email, other.password)).status,
    303,
    'another account is not affected',
  );
});

test('log in: a burst of guesses at once gets no more tries than the limit', async (t) => {
  const system = await createTestSystem({
    loginThrottle: { ...ROOMY_THROTTLE, untrustedPerAccount: { tries: 3, refillSeconds: 600 } },
  });
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, n) => logIn(request.agent(system.app), account.email, `guess ${n}`)),
  );
  const statuses = answers.map((answer) => answer.status).sort();
  t.deepEqual(
    statuses,
    [...Array<number>(3).fill(401), ...Array<number>(9).fill(429)],
    'three guesses checked, nine refused',
  );
  t.equal(
    (await system.messageStore.readStream(`authentication-${account.userId}`)).length,
    3,
    'three failures recorded',
  );
});

test('log in: failures from one address across many accounts hit the per-address limit', async (t) => {
  const system = await createTestSystem({
    loginThrottle: { ...ROOMY_THROTTLE, failuresPerAddress: { points: 4, windowSeconds: 600 } },
  });
  closeAtEnd(t, () => system.stop());
  for (let n = 0; n < 4; n += 1)
    t.equal((await logIn(request.agent(system.app), `nobody${n}@example.com`, 'guess')).status, 401);
  const account = await seedAccount(system.db);
  t.equal(
    (await logIn(request.agent(system.app), account.email, account.password)).status,
    429,
    'the address is over its limit',
  );
});

test('log in: returnTo may only lead back into this site', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  for (const returnTo of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
    const answer = await logIn(request.agent(system.app), account.email, account.password, { returnTo });
    t.equal(answer.headers.location, '/', `${returnTo} → /`);
  }
});

test('log in: forged or oversized fields get a 400 and write nothing', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const huge = await logIn(request.agent(system.app), `${'a'.repeat(10_000)}@example.com`, 'whatever password');
  t.equal(huge.status, 400, 'an email of 10,000 characters → 400');
  const empty = await logIn(request.agent(system.app), '', '');
  t.equal(empty.status, 400, 'empty fields → 400');
  t.equal((await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).length, 0, 'nothing written');
});

test('log in: a password over 72 bytes gets a 400 saying so, without being checked or counted', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  // bcrypt reads 72 bytes: without the check, anything after them would be ignored.
  const account = await seedAccount(system.db, { password: 'p'.repeat(72) });
  const longer = await logIn(request.agent(system.app), account.email, `${account.password}and more`);
  t.equal(longer.status, 400, '72 bytes of the right password and more → 400, not a log-in');
  t.match(
    longer.text,
    /up to 72 plain letters, digits and punctuation marks \(an accented letter counts as two, an emoji as four\)/,
    'the page says the limit in characters a person counts',
  );
  t.doesNotMatch(longer.text, /bytes/, 'not in bytes');
  t.match(longer.text, new RegExp(`value="${account.email.replace('.', '\\.')}"`), 'the email is kept');
  const accented = await logIn(request.agent(system.app), account.email, 'é'.repeat(37));
  t.equal(accented.status, 400, '37 accented letters are 74 bytes → 400');
  t.equal((await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).length, 0, 'nothing written');
  t.equal(
    (await logIn(request.agent(system.app), account.email, account.password)).status,
    303,
    'exactly 72 bytes logs in',
  );
});

test('sessions in production: cookie flags, and a cookie signed with a retired key still accepted', async (t) => {
  const oldKey = 'o'.repeat(40);
  const newKey = 'n'.repeat(40);
  const lines: string[] = [];
  const logger = pino(
    { base: undefined, level: 'trace' },
    new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
  );
  const before = await createTestSystem({ production: true, trustProxy: ['loopback'], cookieSecret: [oldKey], logger });
  let cookie: string;
  try {
    const account = await seedAccount(before.db);
    // By hand: supertest's cookie jar keeps Secure cookies from plain-http test requests.
    const page = await request(before.app).get('/auth/log-in').set('X-Forwarded-Proto', 'https').expect(200);
    const pageCookie = (page.headers['set-cookie'] as unknown as string[])
      .map((value) => value.split(';')[0])
      .join('; ');
    const answer = await request(before.app)
      .post('/auth/log-in')
      .set({ ...FROM_THIS_SITE, 'X-Forwarded-Proto': 'https', cookie: pageCookie })
      .type('form')
      .send({ _csrf: csrfTokenOf(page), email: account.email, password: account.password })
      .expect(303);
    const setCookie = String(answer.headers['set-cookie']);
    t.match(setCookie, /httponly/i, 'httpOnly');
    t.match(setCookie, /samesite=lax/i, 'sameSite=lax');
    t.match(setCookie, /secure/i, 'secure in production');
    t.match(setCookie, /expires=/i, 'with a max age');
    cookie = (answer.headers['set-cookie'] as unknown as string[]).map((value) => value.split(';')[0]).join('; ');
    const logged = lines.join('');
    t.notOk(logged.includes(account.password), 'no password in any log line');
    t.notOk(/\$2[aby]\$/.test(logged), 'no hash in any log line');
    t.ok(lines.length > 0, 'while the requests were logged');
  } finally {
    await before.stop();
  }
  const rotated = createSystem({
    urls: before.urls,
    logger: silentLogger,
    cookieSecret: [newKey, oldKey],
    production: true,
    trustProxy: ['loopback'],
  });
  closeAtEnd(t, () => rotated.stop());
  const home = await request(rotated.app).get('/').set({ cookie, 'X-Forwarded-Proto': 'https' }).expect(200);
  t.match(home.text, /site-nav__user/, 'a cookie signed with the old key still logs in after rotation');
});

test('sessions: a session past its time on the server is not believed, nor a cookie naming a user without one', async (t) => {
  const secret = 'test-secret-that-is-long-enough-for-anything';
  const system = await createTestSystem({ cookieSecret: secret });
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  await logIn(agent, account.email, account.password);
  t.match((await agent.get('/')).text, /site-nav__user/, 'logged in');
  await system
    .db('sessions')
    .where({ user_id: account.userId })
    .update({ expires_at: new Date(Date.now() - 1000) });
  t.doesNotMatch(
    (await agent.get('/')).text,
    /site-nav__user/,
    'a session whose time is up is over, whatever the cookie says',
  );

  // A cookie as cookie-session writes one (base64 JSON, signed with the secret), in the shape
  // cookies had before sessions lived on the server: the signature alone no longer logs in.
  const value = Buffer.from(
    JSON.stringify({ userId: account.userId, email: account.email, loggedInAt: Date.now() }),
  ).toString('base64');
  const forged = `session=${value}; session.sig=${new Keygrip([secret]).sign(`session=${value}`)}`;
  const old = await request(system.app).get('/').set('cookie', forged);
  t.doesNotMatch(old.text, /site-nav__user/, 'a signed cookie with a user id and no session is a visitor');
  const rewritten =
    /session=([^;]*)/.exec(([] as string[]).concat(old.headers['set-cookie'] ?? []).join(';'))?.[1] ?? '';
  t.doesNotMatch(
    Buffer.from(rewritten, 'base64').toString('utf8'),
    /email|userId/,
    'and its old fields, the email among them, are dropped from it',
  );
});
