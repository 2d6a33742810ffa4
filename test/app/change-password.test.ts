import { randomUUID } from 'node:crypto';
import { IDENTITY_COMMAND_CATEGORY } from '../../src/contracts/identity.ts';
import { cookieBrowser, type CookieBrowser } from '../helpers/cookie-browser.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  askForReset,
  emails,
  PASSWORD,
  registered,
  resetLinkFor,
  resetRequests,
  setNewPassword,
} from '../fixtures/password-reset.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const NEW_PASSWORD = 'my changed password';
const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

async function changePassword(browser: CookieBrowser, current: string, password: string, again = password) {
  const page = await browser.get('/account/password');
  return browser.post('/account/password', { _csrf: csrfTokenOf(page), current, password, passwordAgain: again });
}

scopedTest(
  'change password: needs the current one; ends every other session, keeps this one, and emails a notice',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const email = uniqueEmail('change');
    await registered(system, email);
    const visitor = cookieBrowser(system.app);
    const away = await visitor.get('/account/password');
    t.equal(away.status, 303, 'a visitor is sent to log in');
    t.equal(away.headers.location, '/auth/log-in?returnTo=%2Faccount%2Fpassword', 'and brought back after');

    const laptop = cookieBrowser(system.app);
    const phone = cookieBrowser(system.app);
    await laptop.logIn(email, PASSWORD);
    await phone.logIn(email, PASSWORD);

    const wrong = await changePassword(laptop, 'not my password', NEW_PASSWORD);
    t.equal(wrong.status, 400, 'a wrong current password is refused');
    t.match(wrong.text, /That is not your current password/, 'saying so');
    const mismatched = await changePassword(laptop, PASSWORD, NEW_PASSWORD, 'something else');
    t.equal(mismatched.status, 400, 'two different new passwords are refused');
    t.match(mismatched.text, /The two passwords are not the same/, 'by the registration rules');

    const changed = await changePassword(laptop, PASSWORD, NEW_PASSWORD);
    t.equal(changed.status, 303, 'a good change is taken');
    t.equal(changed.headers.location, '/account', 'and goes back to the account page');
    t.match(
      (await laptop.get('/')).text,
      /Your password is changed\. Every other browser logged in to your account is logged out\./,
      'the next page says so',
    );
    t.equal((await laptop.get('/creators-portal')).status, 200, 'this browser stays logged in');
    t.equal((await phone.get('/creators-portal')).status, 303, 'the other browser is logged out');
    const account = await laptop.get('/account');
    t.equal(account.text.match(/Logged in <time/g)?.length, 1, 'the account page lists only this browser as logged in');
    t.equal((await cookieBrowser(system.app).logIn(email, PASSWORD)).status, 401, 'the old password is refused');
    t.equal((await cookieBrowser(system.app).logIn(email, NEW_PASSWORD)).status, 303, 'the new one logs in');
    const notice = await waitUntil('the notice email', async () =>
      (await emails(system)).find((text) => text.includes('on your account page')),
    );
    t.match(
      notice,
      /Every other browser that was logged in to your account has been logged out/,
      'the notice says what happened',
    );
  },
);

scopedTest('change password: tries of the current password are limited per user', async (t, scope) => {
  const system = scope.add(
    await createTestSystem({ rateLimits: { passwordChecksPerUser: { points: 2, windowSeconds: 900 } } }),
    (s) => s.stop(),
  );
  system.start();
  const email = uniqueEmail('guess');
  await registered(system, email);
  const browser = cookieBrowser(system.app);
  await browser.logIn(email, PASSWORD);
  const statuses = [];
  for (let n = 0; n < 3; n += 1) statuses.push((await changePassword(browser, `guess ${n}`, NEW_PASSWORD)).status);
  t.deepEqual(statuses, [400, 400, 429], 'two wrong guesses, then wait');
  const held = await changePassword(browser, PASSWORD, NEW_PASSWORD);
  t.equal(held.status, 429, 'even the right one waits');
  t.match(held.text, /Too many tries of your current password/, 'saying so');
});

scopedTest(
  "password reset: a reset does not give back the account's log-in tries to browsers it does not know",
  async (t, scope) => {
    const tight = {
      failuresPerDevice: { points: 100, windowSeconds: 900 },
      failuresPerAddress: { points: 100, windowSeconds: 900 },
      untrustedPerAccount: { tries: 2, refillSeconds: 600 },
    };
    const system = scope.add(await createTestSystem({ trustProxy: ['loopback'], loginThrottle: tight }), (s) =>
      s.stop(),
    );
    system.start();
    const email = uniqueEmail('guessed');
    const userId = await registered(system, email);
    for (let n = 0; n < 2; n += 1) await cookieBrowser(system.app, `198.51.100.${n + 1}`).logIn(email, `guess ${n}`);
    const held = await cookieBrowser(system.app, '198.51.100.3').logIn(email, PASSWORD);
    t.equal(held.status, 429, 'the account is held for browsers it does not know');
    t.match(
      held.text,
      /href="\/auth\/forgot"[^>]*>Forgot your password\?</,
      'the page that says to wait offers "Forgot your password?"',
    );
    const owner = cookieBrowser(system.app, '192.0.2.50');
    await askForReset(owner, email);
    const [requestId] = await resetRequests(system, userId, 1);
    const posted = await setNewPassword(owner, await resetLinkFor(system, requestId!), NEW_PASSWORD);
    await waitUntil('the reset is done', async () =>
      /Password changed/.test((await owner.get(posted.headers.location ?? '')).text),
    );
    t.equal(
      (await cookieBrowser(system.app, '198.51.100.9').logIn(email, NEW_PASSWORD)).status,
      429,
      'a new browser still waits out the guesses made before',
    );
  },
);

scopedTest(
  'change password: the form sent twice at once (a double click) keeps this browser logged in',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const email = uniqueEmail('double');
    const userId = await registered(system, email);
    const laptop = cookieBrowser(system.app);
    await laptop.logIn(email, PASSWORD);
    const page = await laptop.get('/account/password');
    const form = { _csrf: csrfTokenOf(page), current: PASSWORD, password: NEW_PASSWORD, passwordAgain: NEW_PASSWORD };
    const answers = await Promise.all([laptop.post('/account/password', form), laptop.post('/account/password', form)]);
    // The second is usually checked before the first lands (both 303); checked after, it is refused (400).
    t.ok(
      answers.some((answer) => answer.status === 303),
      'the change is taken',
    );
    // Every change the posts asked for has landed where sessions are checked.
    await waitUntil('each change asked for is applied', async () => {
      const asked = (await system.messageStore.readCategory(IDENTITY_COMMAND_CATEGORY)).filter(
        (message) => message.type === 'ChangePassword' && (message.data as { userId?: string }).userId === userId,
      ).length;
      const row = await system.db('user_credentials').where({ user_id: userId }).first('password_version');
      return asked > 0 && row?.password_version === asked;
    });
    t.equal(
      (await laptop.get('/creators-portal')).status,
      200,
      'the browser that changed its password stays logged in',
    );
    t.equal((await cookieBrowser(system.app).logIn(email, NEW_PASSWORD)).status, 303, 'the new password logs in');
  },
);
