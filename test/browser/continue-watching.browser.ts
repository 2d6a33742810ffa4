import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { videoKeys } from '../../src/video-store/index.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { logInAs, openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import type { Scope } from '../helpers/scope.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

/** A listed public video of 20 s that Chromium plays, straight into the catalog. */
async function twentySeconds(system: TestSystem, scope: Scope, dirPrefix: string, name: string): Promise<string> {
  const videoId = randomUUID();
  const source = await makeVideo(await tempDir(scope, dirPrefix), { width: 320, height: 240, seconds: 20 });
  const transcoded = await system.videoStore.put(videoKeys.transcoded(videoId), createReadStream(source));
  await system.db('videos').insert({
    video_id: videoId,
    name,
    status: 'published',
    visibility: 'public',
    transcoded_uri: transcoded.uri,
    poster_uri: transcoded.uri,
    duration_seconds: 20,
    width: 320,
    height: 240,
    published_at: new Date(),
  });
  return videoId;
}

scopedTest(
  'in Chromium: the player remembers where a viewer stopped (pause, leaving the page); home lists it; the watch page resumes there or starts over',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const videoId = await twentySeconds(system, scope, 'browser-resume-', 'A video to come back to');
    const viewer = await seedAccount(system.db);
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await logInAs(page, base, viewer);

    const watchUrl = `${base}/videos/${videoId}`;
    const stoppedAt = async (seconds: number) =>
      waitUntil(`the place ${seconds} s remembered`, async () => {
        const row = await system
          .db('playback_positions')
          .where({ user_id: viewer.userId, video_id: videoId })
          .first('position_seconds');
        return row && Math.abs(Number(row.position_seconds) - seconds) < 1.5 ? row : undefined;
      });

    await page.goto(watchUrl);
    t.notOk(await page.isVisible('text=Resume at'), 'nothing to resume the first time');
    // Run in the page (a string: the tests are compiled without the DOM's types).
    await page.evaluate(`(async () => {
    const video = document.querySelector('video');
    video.muted = true;
    await video.play();
    video.currentTime = 8;
    await new Promise((resolve) => setTimeout(resolve, 300));
    video.pause();
  })()`);
    await stoppedAt(8);
    t.pass('a pause reports where the player is');

    await page.evaluate(`(() => { document.querySelector('video').currentTime = 12; })()`);
    await page.goto(`${base}/`);
    await stoppedAt(12);
    t.pass('leaving the page reports it too');
    // The page may have been served a moment before its report was applied (they race): look again.
    await page.reload();
    await page.waitForSelector('h2:has-text("Continue watching")');
    const section = (await page.textContent('.continue-watching')) ?? '';
    t.match(section, /A video to come back to/, 'home lists the video under Continue watching');
    t.match(section, /0:12 of 0:20 · less than a minute left/, 'saying how far the viewer got');
    await expectAccessible(t, page, 'home with continue watching');
    await screenshot(page, 'home-continue-watching');

    await page.click('.continue-watching a.video-card__link');
    await page.waitForURL(watchUrl);
    const resume = page.locator('button:has-text("Resume at 0:12")');
    await resume.waitFor();
    t.pass('the watch page offers to resume at 0:12');
    t.ok(await page.isVisible('button:has-text("Start over")'), 'or to start over');
    await expectAccessible(t, page, 'watch page with resume');
    await screenshot(page, 'watch-resume');
    await page.evaluate(`(() => { document.querySelector('video').muted = true; })()`);
    await resume.focus();
    await page.keyboard.press('Enter');
    const resumedAt = Number(await page.evaluate(`document.querySelector('video').currentTime`));
    t.ok(
      resumedAt >= 11.5 && resumedAt < 16,
      `Enter on the button plays from there (currentTime ${resumedAt.toFixed(1)} s)`,
    );
    t.notOk(await resume.isVisible(), 'and the offer goes');

    const phone = await browser.newPage({ viewport: { width: 390, height: 800 } });
    await phone.context().addCookies(await page.context().cookies());
    await page.evaluate(`(() => { const video = document.querySelector('video'); video.pause(); })()`);
    await stoppedAt(Number(await page.evaluate(`document.querySelector('video').currentTime`)));
    await phone.goto(watchUrl);
    await phone.locator('button:has-text("Start over")').waitFor();
    await expectAccessible(t, phone, 'watch page with resume');
    await screenshot(phone, 'watch-resume-mobile');
    await phone.locator('button:has-text("Start over")').click();
    const startedAt = Number(await phone.evaluate(`document.querySelector('video').currentTime`));
    t.ok(startedAt < 2, `Start over plays from the start (currentTime ${startedAt.toFixed(1)} s)`);
  },
);

scopedTest(
  'in Chromium: opening a watch page and leaving it without playing keeps the viewer’s place (no report of 0:00)',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const videoId = await twentySeconds(system, scope, 'browser-leave-', 'A video looked at, not played');
    const viewer = await seedAccount(system.db);
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await logInAs(page, base, viewer);

    await page.goto(`${base}/videos/${videoId}`);
    // Every report the page would send on leaving, recorded instead of sent.
    const reportsOnLeaving = async (): Promise<number> =>
      Number(
        await page.evaluate(`(async () => {
        const video = document.querySelector('video');
        if (video.readyState < 1) await new Promise((resolve) => video.addEventListener('loadedmetadata', resolve, { once: true }));
        const sent = [];
        navigator.sendBeacon = (url, body) => (sent.push(String(body)), true);
        window.fetch = (url, init) => (sent.push(String(init.body)), Promise.resolve(new Response(null, { status: 204 })));
        dispatchEvent(new Event('pagehide'));
        return sent.length;
      })()`),
      );
    t.equal(
      await reportsOnLeaving(),
      0,
      'never played: leaving reports nothing (a report of 0:00 would overwrite where they stopped)',
    );
    await page.evaluate(`(async () => {
    const video = document.querySelector('video');
    video.muted = true;
    await video.play();
    video.currentTime = 8;
    video.pause();
  })()`);
    const played = Number(
      await page.evaluate(`(() => {
      const video = document.querySelector('video');
      video.currentTime = 12;
      const sent = [];
      navigator.sendBeacon = (url, body) => (sent.push(String(body)), true);
      dispatchEvent(new Event('pagehide'));
      return sent.length;
    })()`),
    );
    t.equal(played, 1, 'once played and moved on, leaving reports where the viewer is');
  },
);
