import { randomUUID } from 'node:crypto';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { cookieBrowser } from '../helpers/cookie-browser.ts';
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

const NEW_PASSWORD = 'a brand new password';
const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

/** Every message in the store whose data or metadata holds `text` (any case). */
async function messagesNaming(system: System, text: string): Promise<number> {
  const result = await system.messageStorePool.query<{ count: string }>(
    'SELECT count(*) FROM message_store.messages WHERE strpos(lower(data::text || metadata::text), lower($1)) > 0',
    [text],
  );
  return Number(result.rows[0]?.count);
}

scopedTest(
  'password reset: a known and an unknown address get the same answer; only the known one is emailed, and nothing stored names the unknown one',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const known = uniqueEmail('known');
    const userId = await registered(system, known);
    const unknown = uniqueEmail('nobody');

    const browser = cookieBrowser(system.app);
    const started = Date.now();
    const forKnown = await askForReset(browser, known);
    const knownMs = Date.now() - started;
    const forUnknown = await askForReset(browser, unknown);
    const unknownMs = Date.now() - started - knownMs;
    t.deepEqual(
      [forKnown.status, forKnown.headers.location],
      [forUnknown.status, forUnknown.headers.location],
      'the same status and the same next page',
    );
    t.equal(forKnown.text, forUnknown.text, 'the same body');
    t.ok(knownMs >= 400 && unknownMs >= 400, `both answers waited out the floor (${knownMs} ms, ${unknownMs} ms)`);
    const sent = await browser.get(forUnknown.headers.location ?? '');
    t.match(
      sent.text,
      /If an account has this address, we have sent a link to it\. The link works for an hour/,
      'the page says what may have happened',
    );
    t.doesNotMatch(sent.text, new RegExp(unknown), 'and does not repeat the address');

    const [requestId] = await resetRequests(system, userId, 1);
    const link = await resetLinkFor(system, requestId!);
    t.ok(link.startsWith(`/auth/reset/${requestId}.`), 'the known address is sent a link');
    t.equal(
      (await emails(system)).filter((text) => text.includes(unknown)).length,
      0,
      'the unknown address is sent nothing',
    );
    t.equal(await messagesNaming(system, unknown), 0, 'no message in the store names the unknown address');
    t.equal(await messagesNaming(system, known), 0, 'nor the known one (it is sealed)');
  },
);

scopedTest(
  'password reset: the link sets a new password once; every session ends, the old password stops working, a notice is emailed',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const email = uniqueEmail('reset');
    const userId = await registered(system, email);
    const laptop = cookieBrowser(system.app);
    t.equal((await laptop.logIn(email, PASSWORD)).status, 303, 'logged in on a laptop before the reset');
    t.equal((await laptop.get('/creators-portal')).status, 200, 'the laptop is logged in');

    const phone = cookieBrowser(system.app);
    t.match(
      (await phone.get('/auth/log-in')).text,
      /href="\/auth\/forgot"[^>]*>Forgot your password\?</,
      'the log-in page links to the form',
    );
    await askForReset(phone, email);
    const [requestId] = await resetRequests(system, userId, 1);
    const link = await resetLinkFor(system, requestId!);
    const form = await phone.get(link);
    t.equal(form.status, 200, 'the link opens a form');
    t.equal(form.headers['referrer-policy'], 'no-referrer', 'which tells no other site its address');

    const mismatched = await setNewPassword(phone, link, NEW_PASSWORD, 'something else');
    t.equal(mismatched.status, 400, 'two different passwords are refused');
    t.match(mismatched.text, /The two passwords are not the same/, 'by the registration rules');
    const tooShort = await setNewPassword(phone, link, 'short');
    t.match(tooShort.text, /at least 8 characters/, 'so is a short one');

    const posted = await setNewPassword(phone, link, NEW_PASSWORD);
    t.equal(posted.status, 303, 'the new password is taken');
    const statusPath = posted.headers.location ?? '';
    t.match(statusPath, /^\/auth\/reset-status\//, 'and the next page follows what comes of it');
    const done = await waitUntil('the reset is done', async () => {
      const page = await phone.get(statusPath);
      return /Password changed/.test(page.text) && page;
    });
    t.match(done.text, /Every browser that was logged in to your account has been logged out/, 'it says what happened');

    t.equal((await laptop.get('/creators-portal')).status, 303, 'the laptop is logged out');
    t.equal((await cookieBrowser(system.app).logIn(email, PASSWORD)).status, 401, 'the old password is refused');
    t.equal((await cookieBrowser(system.app).logIn(email, NEW_PASSWORD)).status, 303, 'the new one logs in');

    const again = await phone.get(link);
    t.equal(again.status, 410, 'the link used once is refused the second time');
    t.match(again.text, /This link was used already/, 'saying so');
    t.match(again.text, /href="\/auth\/forgot"[^>]*>Request a new link</, 'with a way to ask for another');

    const notice = await waitUntil('the notice email', async () =>
      (await emails(system)).find((text) => text.includes('Your Video Tutorials password was changed')),
    );
    t.match(notice, /was changed on \d+ \w+ \d{4} at \d\d:\d\d UTC, with a reset link/, 'the notice says when and how');
    t.doesNotMatch(notice, /\/auth\/reset\//, 'and carries no reset link');
    const events = (await system.messageStore.readStream(identityStreamName(userId))).map((message) => message.type);
    t.deepEqual(
      events.filter((type) => type.startsWith('Password')),
      ['PasswordResetRequested', 'PasswordChanged'],
      'one request, one change',
    );
  },
);

scopedTest(
  'password reset: the same link posted twice sets the password once and refuses the second',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const email = uniqueEmail('twice');
    const userId = await registered(system, email);
    const browser = cookieBrowser(system.app);
    await askForReset(browser, email);
    const [requestId] = await resetRequests(system, userId, 1);
    const link = await resetLinkFor(system, requestId!);
    // Both forms opened before either is sent: the page's own check passes for both.
    const first = await browser.get(link);
    const second = await browser.get(link);
    const a = await browser.post(link, {
      _csrf: csrfTokenOf(first),
      password: NEW_PASSWORD,
      passwordAgain: NEW_PASSWORD,
    });
    const b = await browser.post(link, {
      _csrf: csrfTokenOf(second),
      password: 'yet another password',
      passwordAgain: 'yet another password',
    });
    const outcomes = await waitUntil('both decided', async () => {
      const pages = await Promise.all(
        [a, b].map((posted) =>
          posted.status === 303 ? browser.get(posted.headers.location ?? '') : Promise.resolve(posted),
        ),
      );
      return pages.every((page) => !/Changing your password/.test(page.text)) && pages.map((page) => page.text);
    });
    t.equal(outcomes.filter((text) => /Password changed/.test(text)).length, 1, 'one reset takes');
    t.equal(
      outcomes.filter((text) => /This link was used already/.test(text)).length,
      1,
      'the other is told the link was used',
    );
    t.equal(
      (await cookieBrowser(system.app).logIn(email, NEW_PASSWORD)).status,
      303,
      'the first password set is the one',
    );
  },
);

scopedTest(
  'password reset: a newer request voids the older link; a tampered token and one for an erased user are refused',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const email = uniqueEmail('voided');
    const userId = await registered(system, email);
    const browser = cookieBrowser(system.app);
    await askForReset(browser, email);
    const [older] = await resetRequests(system, userId, 1);
    const olderLink = await resetLinkFor(system, older!);
    await askForReset(browser, email);
    const [, newer] = await resetRequests(system, userId, 2);
    const newerLink = await resetLinkFor(system, newer!);

    const voided = await browser.get(olderLink);
    t.equal(voided.status, 410, 'the older link is refused');
    t.match(voided.text, /A newer link was sent/, 'saying a newer one was sent');
    const tamperedLink = newerLink.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const token = csrfTokenOf(await browser.get('/auth/forgot'));
    const posted = await browser.post(tamperedLink, {
      _csrf: token,
      password: NEW_PASSWORD,
      passwordAgain: NEW_PASSWORD,
    });
    t.equal(posted.status, 404, 'a new password posted with a tampered token is refused');
    const tampered = await browser.get(tamperedLink);
    t.equal(tampered.status, 404, 'a tampered token is not a link');
    t.match(tampered.text, /This link does not work/, 'the page says so');
    t.equal((await browser.get('/auth/reset/not-a-token')).status, 404, 'nor is anything else');
    t.equal((await browser.get(newerLink)).status, 200, 'the newest link works');

    await eraseUser({ messageStore: system.messageStore, personalData: createPersonalData(system.db) }, userId, {
      by: 'test',
      traceId: randomUUID(),
    });
    const erased = await browser.get(newerLink);
    t.equal(erased.status, 410, 'once the user is erased, the link is refused');
    t.match(erased.text, /This account was erased/, 'saying why');
  },
);

scopedTest(
  'password reset: requests are limited per email address typed, known or not, and per client address, with the same answer',
  async (t, scope) => {
    const limit = { points: 2, windowSeconds: 3600 };
    const roomy = { points: 1000, windowSeconds: 3600 };
    const system = scope.add(
      await createTestSystem({
        trustProxy: ['loopback'],
        rateLimits: { passwordResetsPerEmail: limit, passwordResetsPerAddress: roomy },
      }),
      (s) => s.stop(),
    );
    system.start();
    const known = uniqueEmail('limited');
    await registered(system, known);
    const unknown = uniqueEmail('nobody');
    const statuses = async (email: string) => {
      const answers = [];
      for (let n = 0; n < 3; n += 1)
        answers.push((await askForReset(cookieBrowser(system.app, `198.51.100.${n}`), email)).status);
      return answers;
    };
    t.deepEqual(await statuses(known), [303, 303, 429], 'a known address: two requests, then wait');
    t.deepEqual(await statuses(unknown), [303, 303, 429], 'an unknown one: the same');

    const perClient = scope.add(
      await createTestSystem({
        trustProxy: ['loopback'],
        rateLimits: { passwordResetsPerEmail: roomy, passwordResetsPerAddress: limit },
      }),
      (s) => s.stop(),
    );
    const one = cookieBrowser(perClient.app, '203.0.113.7');
    const answers = [];
    for (let n = 0; n < 3; n += 1) answers.push((await askForReset(one, uniqueEmail('sweep'))).status);
    t.deepEqual(answers, [303, 303, 429], 'one client sweeping addresses is held after two');
    const held = await askForReset(one, uniqueEmail('sweep'));
    t.match(held.text, /Too many password reset requests for now/, 'the page says to wait');
    t.ok(Number(held.headers['retry-after']) > 0, 'and Retry-After says how long');
    t.equal(
      (await askForReset(cookieBrowser(perClient.app, '203.0.113.8'), uniqueEmail('sweep'))).status,
      303,
      'another client is not held',
    );
  },
);
