import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { videoKeys } from '../../src/video-store/index.ts';
import { ADMIN_ROLE } from '../../src/contracts/identity.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { FFMPEG, makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// Run in the page, as strings: the tests are compiled without the DOM's types.
const ACTIVE = `(() => { const a = document.activeElement; return a ? (a.id || a.className || a.tagName) : ''; })()`;
/** Each shown field error's id, and whether its input names it in aria-describedby and is aria-invalid. */
const ERRORS_TIED = `[...document.querySelectorAll('.field__error')].map((error) => {
  const input = error.closest('.field').querySelector('input, textarea, select');
  return { id: error.id, describedBy: (input.getAttribute('aria-describedby') || '').split(' ').includes(error.id), invalid: input.getAttribute('aria-invalid') === 'true' };
})`;

/** The focused element once the page has applied autofocus (Chromium does it at its next rendering, not at load). */
async function focusedAfterLoad(page: Page): Promise<string> {
  await page
    .waitForFunction('document.activeElement && document.activeElement !== document.body', null, { timeout: 3_000 })
    .catch(() => undefined);
  return (await page.evaluate(ACTIVE)) as string;
}

async function tabUntil(page: Page, predicate: string, limit = 30): Promise<number> {
  for (let presses = 1; presses <= limit; presses += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return presses;
  }
  throw new Error(`Tab never reached ${predicate} in ${limit} presses`);
}

scopedTest(
  'in Chromium, by keyboard: the skip link comes first, a focused video card is ringed whole, and a refused form puts the focus on what to fix',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const videoId = randomUUID();
    const dir = await tempDir(scope, 'keyboard-');
    const source = await makeVideo(dir, { width: 320, height: 240, seconds: 1 });
    const stored = await system.videoStore.put(videoKeys.transcoded(videoId), createReadStream(source));
    const posterFile = path.join(dir, 'poster.jpg');
    await promisify(execFile)(FFMPEG, ['-v', 'error', '-i', source, '-frames:v', '1', posterFile]);
    const poster = await system.videoStore.put(videoKeys.poster(videoId), createReadStream(posterFile));
    await system.db('videos').insert({
      video_id: videoId,
      name: 'Tabbing through forms',
      status: 'published',
      transcoded_uri: stored.uri,
      poster_uri: poster.uri,
      duration_seconds: 1,
      width: 320,
      height: 240,
      published_at: new Date(),
    });
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);

    for (const width of [1280, 390]) {
      const mobile = width === 390 ? '-mobile' : '';
      const page = await (await browser.newContext({ viewport: { width, height: 800 } })).newPage();
      await page.goto(`${base}/`);
      await page.keyboard.press('Tab');
      t.equal(await page.evaluate(ACTIVE), 'skip-link', `${width} px: the first Tab reaches the skip link`);
      const box = await page.locator('.skip-link').boundingBox();
      t.ok(box !== null && box.y >= 0 && box.height > 0, 'which is then on screen');
      t.equal((await page.textContent('.skip-link'))?.trim(), 'Skip to main content', 'and says where it goes');
      await page.keyboard.press('Enter');
      t.equal(await page.evaluate(ACTIVE), 'main', 'Enter moves the focus to the main content');

      await tabUntil(page, `document.activeElement.classList.contains('video-card__link')`);
      const ring = (await page.evaluate(
        `(() => { const s = getComputedStyle(document.activeElement.closest('.video-card')); return s.outlineStyle + ' ' + s.outlineWidth; })()`,
      )) as string;
      t.equal(ring, 'solid 3px', 'a focused video card has a ring around the whole card');
      await screenshot(page, `home-card-focus${mobile}`);

      await page.goto(`${base}/register`);
      await page.click('main button:has-text("Register")');
      t.equal(await focusedAfterLoad(page), 'email', 'a register sent empty: the focus is on the first field to fix');
      const tied = (await page.evaluate(ERRORS_TIED)) as Array<{ id: string; describedBy: boolean; invalid: boolean }>;
      t.ok(tied.length >= 2, `${tied.length} errors shown`);
      for (const error of tied)
        t.ok(
          error.id && error.describedBy && error.invalid,
          `error #${error.id} is named by its input's aria-describedby, and the input is aria-invalid`,
        );
      await page.fill('#email', 'ada@example.com');
      await page.fill('#displayName', 'Ada');
      await page.fill('#handle', 'ada');
      await page.fill('#password', 'short');
      await page.click('main button:has-text("Register")');
      t.equal(
        await focusedAfterLoad(page),
        'password',
        'a good email and a short password: the focus is on the password',
      );

      await page.goto(`${base}/auth/log-in`);
      await page.fill('#email', 'nobody@example.com');
      await page.fill('#password', 'not a password');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#log-in-error');
      t.equal(
        await focusedAfterLoad(page),
        'password',
        'a refused log-in: the focus is on the password, the email kept',
      );
      t.equal(
        await page.getAttribute('#password', 'aria-describedby'),
        'log-in-error',
        'and the password names the error',
      );
      await screenshot(page, `log-in-refused-focus${mobile}`);
      await page.context().close();
    }

    const admin = await seedAccount(system.db, { roles: [ADMIN_ROLE] });
    const page = await browser.newPage();
    await page.goto(`${base}/auth/log-in?returnTo=%2Fadmin`);
    await page.fill('#email', admin.email);
    await page.fill('#password', admin.password);
    await page.click('main button:has-text("Log in")');
    await page.waitForURL(`${base}/admin`);
    await page.goto(`${base}/admin/messages?type=Registered&from=2026-01-02T00:00:00&to=2026-01-01T00:00:00`);
    t.equal(await focusedAfterLoad(page), 'to', 'an admin filter refused: the focus is on the field to fix');
    const tied = (await page.evaluate(ERRORS_TIED)) as Array<{ id: string; describedBy: boolean; invalid: boolean }>;
    t.deepEqual(tied, [{ id: 'to-error', describedBy: true, invalid: true }], 'and its error is named by the field');
  },
);

scopedTest(
  'in Chromium: a page following work in progress reloads by itself until the visitor stops it (WCAG 2.2.1)',
  async (t, scope) => {
    // Not started: no component decides, so the registration stays pending and its page keeps looking.
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(`${base}/register`);
    await page.fill('#email', 'ada@example.com');
    await page.fill('#displayName', 'Ada');
    await page.fill('#handle', 'ada');
    await page.fill('#password', 'a long enough password');
    await page.fill('#passwordAgain', 'a long enough password');
    await page.click('main button:has-text("Register")');
    await page.waitForSelector('text=Setting up your account');
    const stay = `window.stayed = true`;
    const stayed = () => page.evaluate('window.stayed === true').catch(() => false);

    await page.evaluate(stay);
    const reloaded = page.waitForEvent('load');
    await page.clock.runFor(1_100);
    await reloaded;
    t.notOk(await stayed(), 'the page reloads itself after its second');

    await page.click('button:has-text("Stop checking")');
    await page.evaluate(stay);
    await page.clock.runFor(10_000);
    t.ok(await stayed(), 'stopped: ten seconds on, still the same page');
    t.equal(
      (await page.textContent('button.refresh-control'))?.trim(),
      'Check now',
      'and the button offers to look now',
    );
  },
);
