import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { videoKeys } from '../../src/video-store/index.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { controls, writeEvents } from '../fixtures/catalog-events.ts';
import { FFMPEG, tempDir } from '../fixtures/video-sources.ts';

const EMAIL = 'ada@example.com';
const FIRST_PASSWORD = 'the first long password';
const NEW_PASSWORD = 'a second, longer password';
const HANDLE = 'ada-l';

/** The links to the site in the emails written so far (quoted-printable undone), as paths. */
async function linksInMail(mailDir: string, pattern: RegExp): Promise<string[]> {
  const names = (await readdir(mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
  const mails = await Promise.all(names.map((name) => readFile(path.join(mailDir, name), 'utf8')));
  const decoded = mails.map((mail) =>
    mail.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  );
  return [...new Set(decoded.flatMap((mail) => [...mail.matchAll(pattern)].map((match) => match[1]!)))];
}

/**
 * The whole of a user's account side, as a person takes it in Chromium: register with a name and
 * handle, confirm the address from the welcome email, forget the password and set a new one from
 * the reset email, rename themselves, download their data, delete the account. Each page on the
 * way is checked by axe at 1280 and 390 px and, with SAVE_SCREENSHOTS=1, saved at both widths.
 */
scopedTest(
  'in Chromium: register → confirm → reset the password → rename → download → delete; the log-in is refused and the handle free',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    system.start();
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();

    /** Axe at both widths; the screenshot `name` (1280) and `name-mobile` (390); back to 1280. */
    const look = async (name: string, label: string) => {
      await expectAccessible(t, page, label);
      await screenshot(page, name);
      await page.setViewportSize({ width: 390, height: 800 });
      await expectAccessible(t, page, label);
      await screenshot(page, `${name}-mobile`);
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    const logIn = async (email: string, password: string) => {
      await page.goto(`${base}/auth/log-in`);
      await page.fill('#email', email);
      await page.fill('#password', password);
      await page.click('main button:has-text("Log in")');
    };

    // Register with a name and a handle.
    await page.goto(`${base}/register`);
    await page.fill('#email', EMAIL);
    await page.fill('#displayName', 'Ada Lovelace');
    await page.fill('#handle', HANDLE);
    await page.fill('#password', FIRST_PASSWORD);
    await page.fill('#passwordAgain', FIRST_PASSWORD);
    await page.click('main button:has-text("Register")');
    await page.waitForSelector('text=Registered — log in', { timeout: 20_000 });
    const userId = new URL(page.url()).pathname.split('/').pop()!;

    // Confirm the address from the welcome email, logged out (as from another device's mail app).
    const [verify] = await waitUntil('the verification link in the welcome email', async () => {
      const links = await linksInMail(
        system.mailDir,
        /https?:\/\/[^/\s]+(\/account\/verify\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/g,
      );
      return links.length > 0 && links;
    });
    t.ok(verify!.includes(userId), "the welcome email's link is for this user");
    await page.goto(`${base}${verify}`);
    t.ok(await page.isVisible('h1:has-text("Confirm your email address")'), 'the link asks to confirm, by a button');
    await look('account-verify', 'confirm your address');
    await page.click('main button:has-text("Confirm my address")');
    await page.waitForSelector('h1:has-text("Your address is confirmed")', { timeout: 20_000 });
    await look('account-verified', 'address confirmed');
    t.equal(
      (await system.db('user_credentials').where({ user_id: userId }).first('email_verified'))?.email_verified,
      true,
      'the address is confirmed',
    );

    // Log in, then out; forget the password.
    await logIn(EMAIL, FIRST_PASSWORD);
    await page.waitForSelector('.site-nav__user');
    await page.click('button:has-text("Log out")');
    await page.waitForSelector('a:has-text("Log in")');
    await page.goto(`${base}/auth/log-in`);
    await page.click('a:has-text("Forgot your password?")');
    t.equal(new URL(page.url()).pathname, '/auth/forgot', 'the log-in page leads to "Forgot your password?"');
    await look('forgot-password', 'forgot your password');
    await page.fill('#email', EMAIL);
    await page.click('main button:has-text("Send me a link")');
    await page.waitForURL(`${base}/auth/forgot/sent`);
    await look('forgot-password-sent', 'forgot your password, link sent');

    // Set a new password from the reset email.
    const [reset] = await waitUntil('the reset link in the email', async () => {
      const links = await linksInMail(
        system.mailDir,
        /https?:\/\/[^/\s]+(\/auth\/reset\/[0-9a-f-]{36}\.[A-Za-z0-9_-]{43})/g,
      );
      return links.length > 0 && links;
    });
    await page.goto(`${base}${reset}`);
    await look('reset-password', 'choose a new password');
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#passwordAgain', NEW_PASSWORD);
    await page.click('main button:has-text("Set my new password")');
    await page.waitForSelector('h1:has-text("Password changed")', { timeout: 20_000 });
    await look('reset-password-done', 'password changed');
    await page.goto(`${base}${reset}`);
    t.notOk(await page.isVisible('#password'), 'the link works once: opened again, it asks for nothing');
    await look('reset-password-used', 'a used reset link');

    // The old password is refused, the new one works.
    await logIn(EMAIL, FIRST_PASSWORD);
    t.ok(await page.isVisible('text=That email and password do not match an account'), 'the old password is refused');
    await logIn(EMAIL, NEW_PASSWORD);
    await page.waitForSelector('.site-nav__user');
    t.pass('the new password logs in');

    // A published video of theirs, as the video-publishing component records one (no upload and
    // transcoding here: other browser tests take that path); the catalog lists it under their name.
    const video = { videoId: crypto.randomUUID(), ownerId: userId };
    const posterFile = path.join(await tempDir(scope, 'account-poster-'), 'poster.jpg');
    await promisify(execFile)(FFMPEG, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x180:rate=1',
      '-frames:v',
      '1',
      posterFile,
    ]);
    await system.videoStore.put(videoKeys.poster(video.videoId), createReadStream(posterFile));
    await writeEvents(
      system.messageStore,
      video,
      controls.accepted(video),
      controls.published(video),
      controls.named(video, 'Notes on the Analytical Engine'),
    );
    await waitUntil(
      'their video in the catalog',
      async () =>
        (await system.db('videos').where({ video_id: video.videoId, status: 'published' }).first()) !== undefined,
    );

    await page.goto(`${base}/account`);
    t.ok(await page.isVisible('main >> text=Ada Lovelace'), 'the account page shows the name');
    t.ok(await page.isVisible(`main a:has-text("@${HANDLE}")`), 'and the handle');
    t.ok(await page.isVisible('main .badge:has-text("verified")'), 'and that the address is confirmed');
    await look('account', 'your account');
    for (const [link, name, label] of [
      ['Change your password', 'account-password', 'change your password'],
      ['Change your email', 'account-email', 'change your email'],
      ['Log out everywhere…', 'account-log-out-everywhere', 'log out everywhere?'],
    ] as const) {
      await page.goto(`${base}/account`);
      await page.click(`main a:has-text("${link}")`);
      await look(name, label);
    }
    // A refused change of address: the page says what to fix (forms are novalidate: the server answers).
    await page.goto(`${base}/account/email`);
    await page.fill('#email', 'not an address');
    await page.click('main button:has-text("Send the link")');
    await page.waitForSelector('#email-error');
    t.equal(
      await page.getAttribute('#email', 'aria-invalid'),
      'true',
      'a refused address is marked invalid, as on the other account forms',
    );
    await look('account-email-refused', 'change your email, refused');

    // Change the display name; their video's card says so.
    await page.goto(`${base}/account`);
    await page.click('main a:has-text("Change your name or handle")');
    await look('account-profile', 'your name and handle');
    await page.fill('#handle', 'No Spaces!');
    await page.click('main button:has-text("Save")');
    await page.waitForSelector('#handle-error');
    t.equal(await page.getAttribute('#handle', 'aria-invalid'), 'true', 'a refused handle is marked invalid');
    await look('account-profile-refused', 'your name and handle, refused');
    await page.fill('#handle', HANDLE);
    await page.fill('#displayName', 'Augusta Ada King');
    await page.click('main button:has-text("Save")');
    await page.waitForSelector('.flash:has-text("Saved.")', { timeout: 20_000 });
    await look('account-profile-saved', 'your name and handle, saved');
    await page.goto(`${base}/`);
    const card = page.locator('.video-card', { hasText: 'Notes on the Analytical Engine' });
    t.ok((await card.textContent())?.includes('Augusta Ada King'), "their video's card shows the new name");
    await page.goto(`${base}/@${HANDLE}`);
    t.ok(await page.isVisible('h1:has-text("Augusta Ada King")'), 'so does their page');
    await look('profile', 'a person’s page');

    // Download my data: a JSON file of their own history.
    await page.goto(`${base}/account`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('main button:has-text("Download as JSON")'),
    ]);
    const body = await readFile((await download.path())!, 'utf8');
    t.ok(
      download.suggestedFilename().endsWith('.json'),
      `the download is a .json file (${download.suggestedFilename()})`,
    );
    const parsed: unknown = JSON.parse(body);
    t.ok(parsed !== null && typeof parsed === 'object', 'which parses as JSON');
    t.ok(body.includes(userId) && /"type":\s*"Registered"/.test(body), 'and holds their registration');
    t.ok(body.includes(EMAIL), 'with their address opened with their key');
    t.notOk(body.includes('$2b$'), 'and no password hash');

    // Delete the account: the password again and the word DELETE.
    await page.click('main a:has-text("Delete your account…")');
    await look('account-delete', 'delete your account?');
    await page.fill('#password', NEW_PASSWORD);
    await page.click('main button:has-text("Delete my account for good")');
    await page.waitForSelector('#delete-error');
    t.ok(
      await page.isVisible('text=Nothing was deleted.'),
      'without the word DELETE nothing is deleted, and the page says so',
    );
    await look('account-delete-refused', 'delete your account?, refused');
    await page.fill('#password', NEW_PASSWORD);
    await page.fill('#confirm', 'DELETE');
    await page.click('main button:has-text("Delete my account for good")');
    await page.waitForURL(`${base}/account/deleted`, { timeout: 20_000 });
    t.notOk(await page.isVisible('.site-nav__user'), 'the deleted account is logged out');
    await look('account-deleted', 'your account is deleted');
    await waitUntil(
      'the account erased',
      async () => (await system.db('user_credentials').where({ user_id: userId }).first()) === undefined,
    );

    // The log-in is refused; the handle and the address are free again.
    await logIn(EMAIL, NEW_PASSWORD);
    t.ok(
      await page.isVisible('text=That email and password do not match an account'),
      'logging in with the deleted account is refused',
    );
    t.equal((await page.goto(`${base}/@${HANDLE}`))?.status(), 404, 'the handle no longer names anyone');
    await waitUntil(
      'their video made a draft',
      async () =>
        (await system.db('videos').where({ video_id: video.videoId, visibility: 'draft' }).first()) !== undefined,
    );
    await page.goto(`${base}/`);
    t.equal(await page.locator('text=Notes on the Analytical Engine').count(), 0, 'their video is off the site');
    await page.goto(`${base}/register`);
    await page.fill('#email', EMAIL);
    await page.fill('#displayName', 'Another Ada');
    await page.fill('#handle', HANDLE);
    await page.fill('#password', FIRST_PASSWORD);
    await page.fill('#passwordAgain', FIRST_PASSWORD);
    await page.click('main button:has-text("Register")');
    await page.waitForSelector('text=Registered — log in', { timeout: 20_000 });
    t.pass('someone else registers with the same handle and address');
    await page.goto(`${base}/@${HANDLE}`);
    t.ok(await page.isVisible('h1:has-text("Another Ada")'), 'and the handle is theirs');
  },
);
