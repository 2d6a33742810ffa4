import request from 'supertest';
import test from 'tape';
import { AUTHENTICATION_CATEGORY } from '../../src/contracts/authentication.ts';
import { DEFAULTS as SETTINGS } from '../../src/config/defaults.ts';
import { createLoginThrottle } from '../../src/web/login-throttle.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { cookieBrowser } from '../helpers/cookie-browser.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

// The shipped defaults, so these tests describe what a real site does; each request's address
// is its X-Forwarded-For, believed from the loopback proxy (supertest).
const DEFAULTS = { trustProxy: ['loopback'], loginThrottle: SETTINGS.loginThrottle };

/** An address of its own for the n-th request of an attack spread over many machines. */
const attackerAddress = (n: number) => `198.51.${Math.floor(n / 250)}.${(n % 250) + 1}`;

test("login throttle: the owner's known browser logs in at the first try while an attacker fails 100 times from 100 addresses", async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const laptop = cookieBrowser(system.app, '192.0.2.10');
  t.equal(
    (await laptop.logIn(owner.email, owner.password)).status,
    303,
    'the owner logged in from this browser before',
  );
  t.equal((await laptop.logOut()).status, 303, 'and logged out');

  const statuses: number[] = [];
  for (let n = 0; n < 100; n += 1)
    statuses.push((await cookieBrowser(system.app, attackerAddress(n)).logIn(owner.email, `guess ${n}`)).status);
  const checked = statuses.filter((status) => status === 401).length;
  t.ok(checked <= 5, `the attacker had ${checked} guesses checked out of 100`);
  t.equal(statuses.filter((status) => status === 429).length, 100 - checked, 'the rest were told to wait');

  const during = await laptop.logIn(owner.email, owner.password);
  t.equal(during.status, 303, "the owner's right password from the known browser logs in at once");
  t.equal(during.headers.location, '/', 'to the page they asked for');
  const failures = (await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).filter(
    (event) => event.type === 'UserLoginFailed',
  );
  t.equal(failures.length, checked, 'each checked guess is on record');
});

test('login throttle: 20 failures from a shared address hold its untrusted browsers, not a known browser behind it', async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const office = '203.0.113.9';
  const owner = await seedAccount(system.db);
  const desk = cookieBrowser(system.app, office);
  t.equal((await desk.logIn(owner.email, owner.password)).status, 303, 'the owner logged in from their desk before');
  await desk.logOut();

  for (let n = 0; n < 20; n += 1) await cookieBrowser(system.app, office).logIn(`nobody-${n}@example.com`, 'guess');
  const stranger = await cookieBrowser(system.app, office).logIn(owner.email, owner.password);
  t.equal(stranger.status, 429, 'a browser the account does not know, from that address, waits');
  t.equal(
    (await desk.logIn(owner.email, owner.password)).status,
    303,
    'the known browser behind the same address logs in',
  );
});

test('login throttle: an unknown browser for a targeted account is slowed down, and told how long in plain words', async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  for (let n = 0; n < 5; n += 1)
    t.equal((await cookieBrowser(system.app, attackerAddress(n)).logIn(owner.email, `guess ${n}`)).status, 401);
  const held = await cookieBrowser(system.app, '192.0.2.77').logIn(owner.email, owner.password);
  t.equal(held.status, 429, 'a new browser, even with the right password, waits');
  const retryAfter = Number(held.headers['retry-after']);
  t.ok(
    retryAfter > 0 && retryAfter <= 180,
    `Retry-After says when: ${retryAfter} s, no more than one refill (3 minutes), not the whole window`,
  );
  t.match(held.text, /Try again in 3 minutes\./, 'the page says how long in words');
  t.doesNotMatch(held.text, /\(s\)/, 'with no "minute(s)"');
  t.match(held.text, /name="password"/, 'on the log-in form, to try again later');
  t.match(held.text, new RegExp(`value="${owner.email.replace('.', '\\.')}"`), 'with the email kept');
});

test("login throttle: a known browser's own failures hold that browser only", async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const laptop = cookieBrowser(system.app, '192.0.2.10');
  const phone = cookieBrowser(system.app, '192.0.2.11');
  for (const browser of [laptop, phone]) {
    await browser.logIn(owner.email, owner.password);
    await browser.logOut();
  }
  for (let n = 0; n < 10; n += 1)
    t.equal((await laptop.logIn(owner.email, `typo ${n}`)).status, 401, `the laptop's failure ${n + 1} is checked`);
  const held = await laptop.logIn(owner.email, owner.password);
  t.equal(held.status, 429, 'after its 10 failures the laptop waits, even with the right password');
  t.ok(
    Number(held.headers['retry-after']) > 0 && Number(held.headers['retry-after']) <= 15 * 60,
    'for the rest of the window at most',
  );
  t.equal((await phone.logIn(owner.email, owner.password)).status, 303, 'the phone, also known, logs in');
  t.equal(
    (await cookieBrowser(system.app, '192.0.2.12').logIn(owner.email, owner.password)).status,
    303,
    "and so does a new browser: the laptop's failures took nothing from the others",
  );
});

test('login throttle: a forged device cookie, or one another account earned, counts as an unknown browser', async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const attacker = await seedAccount(system.db);
  const own = cookieBrowser(system.app, '198.51.100.1');
  t.equal(
    (await own.logIn(attacker.email, attacker.password)).status,
    303,
    'the attacker earns a device cookie for their own account',
  );
  await own.logOut();
  for (let n = 0; n < 5; n += 1) await cookieBrowser(system.app, attackerAddress(n)).logIn(owner.email, `guess ${n}`);

  t.equal(
    (await own.logIn(owner.email, 'guess with my own device cookie')).status,
    429,
    "a device cookie for another account does not pass as the owner's",
  );
  const token = own.cookies.get('device') ?? '';
  const [, nonce = '', mac = ''] = token.split('.');
  const forged = cookieBrowser(system.app, '198.51.100.2');
  forged.cookies.set('device', `${owner.userId}.${nonce}.${mac}`);
  t.equal(
    (await forged.logIn(owner.email, 'guess with a rewritten cookie')).status,
    429,
    "the same token rewritten to name the owner's account is refused as unknown",
  );
  const failures = (await system.messageStore.readCategory(AUTHENTICATION_CATEGORY)).filter(
    (event) => event.type === 'UserLoginFailed',
  );
  t.equal(failures.length, 5, 'no guess past the allowance was checked');
});

test("login throttle: the owner's browser stays known for their account after someone else logs in on it", async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const partner = await seedAccount(system.db);
  const familyComputer = cookieBrowser(system.app, '192.0.2.10');
  t.equal(
    (await familyComputer.logIn(owner.email, owner.password)).status,
    303,
    'the owner logs in on the family computer',
  );
  await familyComputer.logOut();
  t.equal(
    (await familyComputer.logIn(partner.email, partner.password)).status,
    303,
    'then someone else, to their own account',
  );
  await familyComputer.logOut();

  for (let n = 0; n < 10; n += 1) await cookieBrowser(system.app, attackerAddress(n)).logIn(owner.email, `guess ${n}`);
  t.equal(
    (await familyComputer.logIn(owner.email, owner.password)).status,
    303,
    'during an attack on the owner, the computer they logged in on logs them in',
  );
  await familyComputer.logOut();
  t.equal(
    (await familyComputer.logIn(partner.email, partner.password)).status,
    303,
    'and the other account is still known there too',
  );
});

test("login throttle: a device cookie planted beside the owner's (cookie tossing from a sibling site) does not make their browser unknown", async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const attacker = await seedAccount(system.db);
  const laptop = cookieBrowser(system.app, '192.0.2.10');
  await laptop.logIn(owner.email, owner.password);
  await laptop.logOut();
  const own = cookieBrowser(system.app, '198.51.100.1');
  await own.logIn(attacker.email, attacker.password);
  const planted = own.cookies.get('device') ?? '';
  for (let n = 0; n < 10; n += 1) await cookieBrowser(system.app, attackerAddress(n)).logIn(owner.email, `guess ${n}`);

  // A cookie set for a longer path (Path=/auth/log-in) by a sibling subdomain comes first in the header.
  const page = await laptop.get('/auth/log-in');
  const answer = await request(system.app)
    .post('/auth/log-in')
    .set({
      'Sec-Fetch-Site': 'same-origin',
      'X-Forwarded-For': '192.0.2.10',
      cookie: `device=${planted}; ${laptop.cookieHeader()}`,
    })
    .type('form')
    .send({ _csrf: csrfTokenOf(page), email: owner.email, password: owner.password });
  t.equal(answer.status, 303, "the owner's right password from their known browser logs in at once");
});

test('login throttle: the device cookie is long-lived, sent only to /auth, out of reach of scripts, and names no email', async (t) => {
  const system = await createTestSystem(DEFAULTS);
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db, { email: 'device.owner@example.com' });
  const browser = cookieBrowser(system.app);
  const answer = await browser.logIn(owner.email, owner.password);
  const cookie =
    ([] as string[]).concat(answer.headers['set-cookie'] ?? []).find((value) => value.startsWith('device=')) ?? '';
  t.match(cookie, /;\s*Path=\/auth/i, 'path /auth');
  t.match(cookie, /;\s*HttpOnly/i, 'httpOnly');
  t.match(cookie, /;\s*SameSite=Lax/i, 'sameSite=lax');
  const expires = Date.parse(/Expires=([^;]+)/i.exec(cookie)?.[1] ?? '');
  t.ok(expires - Date.now() > 300 * 24 * 60 * 60 * 1000, 'kept for about a year');
  t.doesNotMatch(cookie, /device\.owner|example\.com/, 'no email in it');
  t.match(cookie, new RegExp(`^device=${owner.userId}\\.`), 'the account by its id');
});

test('login throttle: the allowance for unknown browsers refills one try per interval, and a good password gives its try back', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  let now = Date.parse('2026-12-06T12:00:00Z');
  const roomy = { points: 1_000, windowSeconds: 60 };
  const throttle = createLoginThrottle(
    system.db,
    { failuresPerDevice: roomy, failuresPerAddress: roomy, untrustedPerAccount: { tries: 3, refillSeconds: 60 } },
    () => now,
  );
  const from = (n: number) => ({ address: `192.0.2.${n}` });
  const email = 'target@example.com';
  t.deepEqual(await Promise.all([1, 2, 3].map((n) => throttle.take(email, from(n)))), [0, 0, 0], 'three tries at once');
  t.equal(await throttle.take(email, from(4)), 60, 'the fourth waits one refill');
  now += 30_000;
  t.equal(await throttle.take(email, from(5)), 30, 'half a refill later, half the wait');
  now += 30_000;
  t.equal(await throttle.take(email, from(6)), 0, 'a refill later, one try');
  t.equal(await throttle.take(email, from(7)), 60, 'and only one');
  now += 10 * 60_000;
  t.deepEqual(
    await Promise.all([1, 2, 3, 4].map((n) => throttle.take(email, from(n)))).then(
      (waits) => waits.filter((wait) => wait === 0).length,
    ),
    3,
    'a long pause refills it to three, never more',
  );
  await throttle.succeeded(email, from(1));
  t.equal(await throttle.take(email, from(8)), 0, "the owner's good password put its try back");
  t.equal(await throttle.take('someone.else@example.com', from(9)), 0, 'other accounts have their own allowance');
  const burst = await Promise.all(
    Array.from({ length: 10 }, (_, n) => throttle.take('burst@example.com', from(n + 10))),
  );
  t.equal(burst.filter((wait) => wait === 0).length, 3, 'ten at once: three pass, as many as the bucket holds');
});
