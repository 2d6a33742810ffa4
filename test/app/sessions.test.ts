import request from 'supertest';
import test from 'tape';
import { seedAccount } from '../helpers/accounts.ts';
import { cookieBrowser, sessionContents } from '../helpers/cookie-browser.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('sessions: a cookie copied before log-out no longer logs anyone in after it', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const browser = cookieBrowser(system.app);
  t.equal((await browser.logIn(account.email, account.password)).status, 303, 'logged in');
  const copied = browser.cookieHeader();
  t.equal(
    (await request(system.app).get('/creators-portal').set('cookie', copied)).status,
    200,
    'the copy works while the session lasts',
  );

  t.equal((await browser.logOut()).status, 303, 'logged out');
  const replayed = await request(system.app).get('/creators-portal').set('cookie', copied);
  t.equal(replayed.status, 303, 'the copy replayed after log-out is not logged in');
  t.match(replayed.headers.location ?? '', /^\/auth\/log-in/, 'it is sent to log in');
  t.doesNotMatch(
    (await request(system.app).get('/').set('cookie', copied)).text,
    /site-nav__user/,
    'the header shows a visitor',
  );
});

test('sessions: the session cookie carries ids only, never the email', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db, { email: 'private.person@example.com' });
  const browser = cookieBrowser(system.app);
  await browser.logIn(account.email, account.password);
  const raw = Buffer.from(browser.cookies.get('session') ?? '', 'base64').toString('utf8');
  t.doesNotMatch(raw, /private\.person|example\.com/, 'no email in the session cookie');
  for (const value of browser.cookies.values())
    t.doesNotMatch(decodeURIComponent(value), /private\.person/, 'nor in any other cookie');
  const home = await browser.get('/');
  t.match(
    home.text,
    /site-nav__user[^>]*><bdi>private\.person@example\.com</,
    'the header still says who is logged in',
  );
  t.doesNotMatch(
    Buffer.from(browser.cookies.get('session') ?? '', 'base64').toString('utf8'),
    /example\.com/,
    'and the cookie still has no email after a page',
  );
  t.notOk('email' in sessionContents(browser), 'no email field');
});

test('sessions: "log out everywhere" ends every session of that user, and only theirs', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const someoneElse = await seedAccount(system.db);
  const laptop = cookieBrowser(system.app);
  const phone = cookieBrowser(system.app);
  const other = cookieBrowser(system.app);
  await laptop.logIn(account.email, account.password);
  await phone.logIn(account.email, account.password);
  await other.logIn(someoneElse.email, someoneElse.password);

  const page = await laptop.get('/auth/log-out');
  t.match(
    page.text,
    /action="\/auth\/log-out-everywhere" method="post"/,
    'the log-out page offers to log out everywhere',
  );
  const out = await laptop.logOut('/auth/log-out-everywhere');
  t.equal(out.status, 303, 'done');
  t.match((await laptop.get('/')).text, /logged out in every browser/i, 'the next page says what happened');
  t.equal((await laptop.get('/creators-portal')).status, 303, 'this browser is logged out');
  t.equal((await phone.get('/creators-portal')).status, 303, 'so is the other browser');
  t.equal((await other.get('/creators-portal')).status, 200, "another user's session goes on");

  const events = await system.messageStore.readStream(`authentication-${account.userId}`);
  t.deepEqual(events.at(-1)?.data, { userId: account.userId, everywhere: true }, 'UserLoggedOut says everywhere');
});

test('sessions: pages for a logged-in user, and admin pages, are never stored by a cache', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  t.doesNotMatch(
    String((await request(system.app).get('/')).headers['cache-control'] ?? ''),
    /no-store/,
    "a visitor's home page may be cached",
  );
  t.match(
    String((await request(system.app).get('/admin')).headers['cache-control'] ?? ''),
    /no-store/,
    'the admin portal, even to a visitor',
  );

  const admin = await seedAccount(system.db, { roles: ['admin'] });
  const browser = cookieBrowser(system.app);
  await browser.logIn(admin.email, admin.password);
  for (const path of ['/', '/creators-portal', '/admin', '/auth/log-out', '/no-such-page']) {
    const answer = await browser.get(path);
    t.match(
      String(answer.headers['cache-control'] ?? ''),
      /no-store/,
      `${path} (${answer.status}) to a logged-in user: no-store`,
    );
  }
});

test('sessions: expired rows are swept as people log in, and the table keeps no usable id', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  const browser = cookieBrowser(system.app);
  await browser.logIn(account.email, account.password);
  const sid = sessionContents(browser).sid;
  t.equal(typeof sid, 'string', 'the cookie names a session');
  const rows = await system.db('sessions').select('id_hash', 'user_id');
  t.deepEqual(
    rows.map((row: { user_id: string }) => row.user_id),
    [account.userId],
    'one row, for the user',
  );
  t.notOk(JSON.stringify(rows).includes(String(sid)), 'holding a hash of the id, not the id');

  await system.db('sessions').update({ expires_at: new Date(Date.now() - 1000) });
  const other = await seedAccount(system.db);
  await cookieBrowser(system.app).logIn(other.email, other.password);
  t.deepEqual(
    await system.db('sessions').pluck('user_id'),
    [other.userId],
    "someone else's log-in swept the expired row",
  );
});

test('sessions: logging in again and again keeps a bounded number of sessions per user, the newest', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const account = await seedAccount(system.db);
  // Each good password gives its try back, so nothing else bounds how often one account logs in.
  const browsers = [];
  for (let n = 0; n < 25; n += 1) {
    const browser = cookieBrowser(system.app);
    t.equal((await browser.logIn(account.email, account.password)).status, 303, `log-in ${n + 1}`);
    browsers.push(browser);
  }
  const rows = await system
    .db('sessions')
    .where({ user_id: account.userId })
    .count<{ count: string }[]>({ count: '*' });
  t.equal(Number(rows[0]?.count), 20, 'the table keeps 20 sessions of the user, not 25');
  t.equal((await browsers.at(-1)!.get('/creators-portal')).status, 200, 'the newest log-in works');
  t.equal((await browsers[0]!.get('/creators-portal')).status, 303, 'the oldest was ended');
});
