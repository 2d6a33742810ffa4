import type { Page } from 'playwright-core';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { playToTheEnd, seedWatchableVideo } from '../fixtures/watchable-videos.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** A desktop and a phone. */
const WIDTHS = [1280, 390] as const;
scopedTest(
  'in Chromium: the watch page lists up next, and when the video ends offers the first (a Play link, announced, no autoplay); accessible and within 390 px',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { db, videoDir } = system;
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const ownerId = '0d6f6c55-8f3e-4b8e-9a55-1f7c3c2b9a01';
    await db('user_profiles').insert({ user_id: ownerId, display_name: 'Grace Hopper', handle: 'grace' });
    const watched = await seedWatchableVideo(db, videoDir, 'testsrc', {
      ownerId,
      title: 'Kubernetes networking basics',
      playableSeconds: 2,
      minutesAgo: 30,
    });
    const next = await seedWatchableVideo(db, videoDir, 'smptebars', {
      ownerId,
      title: 'Kubernetes networking, part two: services',
      playableSeconds: 2,
      minutesAgo: 10,
    });
    await seedWatchableVideo(db, videoDir, 'rgbtestsrc', {
      ownerId,
      title: 'Writing a Dockerfile that builds in seconds',
      minutesAgo: 60,
    });
    await seedWatchableVideo(db, videoDir, 'testsrc2', {
      title: 'Networking in Kubernetes clusters, from pods to ingress controllers and everything between',
      creatorName: 'Ada Lovelace',
      minutesAgo: 5,
    });
    await seedWatchableVideo(db, videoDir, 'smptehdbars', {
      title: 'Service meshes',
      description: 'When Kubernetes networking gets complicated.',
      creatorName: 'Linus',
      minutesAgo: 6,
    });
    await seedWatchableVideo(db, videoDir, 'yuvtestsrc', {
      title: 'Kubernetes basics for developers',
      creatorName: 'Margaret Hamilton',
      minutesAgo: 7,
    });

    const page = await (await browser.newContext()).newPage();
    const check = async (label: string, shot: string) => {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await expectAccessible(t, page, label);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        t.ok(overflow <= width, `${label} at ${width} px: nothing wider than the screen (${overflow} px)`);
        await screenshot(page, width === 390 ? `issue-19/${shot}-mobile` : `issue-19/${shot}`);
      }
    };

    await page.goto(`${base}/videos/${watched}`);
    t.equal(await page.locator('.up-next__item').count(), 5, 'five videos up next');
    t.equal(
      await page.locator('.up-next__name').first().textContent(),
      'Kubernetes networking, part two: services',
      'the creator’s newest other video first',
    );
    t.equal(
      await page.locator('.up-next-offer').getAttribute('aria-live'),
      'polite',
      'an empty polite live region waits under the player',
    );
    await waitForPosters(page);
    await check('the watch page with up next', 'watch-up-next');

    await page.setViewportSize({ width: 1280, height: 900 });
    await playToTheEnd(page);
    await page.waitForSelector('.up-next-offer >> text=Up next:', { timeout: 10_000 });
    t.equal(
      (await page.locator('.up-next-offer__text').textContent())?.trim(),
      'Up next: Kubernetes networking, part two: services',
      'the end offers the first, by its title',
    );
    t.equal(new URL(page.url()).pathname, `/videos/${watched}`, 'and stays on the page: nothing plays without a click');
    await check('the offer at the end of the video', 'watch-up-next-ended');

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.locator('.up-next-offer button:has-text("Not now")').press('Enter');
    t.equal(
      await page.evaluate('document.querySelector(".up-next-offer").childElementCount'),
      0,
      '"Not now" (by keyboard) takes the offer away',
    );
    await playToTheEnd(page);
    const play = page.locator('.up-next-offer a:has-text("Play")');
    await play.waitFor({ timeout: 10_000 });
    t.equal(
      await page.evaluate('document.querySelector(".up-next-offer a").textContent'),
      'Play Kubernetes networking, part two: services',
      'Play names the video to a screen reader',
    );
    await play.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/videos/${next}`);
    t.pass('Play, pressed by keyboard, opens the next video');
    await page.waitForFunction('document.querySelector("video").currentTime > 0', undefined, { timeout: 10_000 });
    t.pass('which starts playing, since the viewer asked');

    // Opened any other way, a watch page waits for its viewer's press.
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${base}/videos/${next}`);
    await other.waitForFunction('document.querySelector("video").readyState >= 1', undefined, { timeout: 10_000 });
    t.ok(
      await other.evaluate('document.querySelector("video").paused'),
      'a watch page opened from a link does not start by itself',
    );

    const noScript = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await noScript.goto(`${base}/videos/${watched}`);
    t.equal(await noScript.locator('.up-next__item').count(), 5, 'without script the list is there all the same');
  },
);

/** Lazy posters below the fold are loaded before a full-page screenshot. */
async function waitForPosters(page: Page): Promise<void> {
  await page.evaluate(
    `Promise.all([...document.images].map((image) => { image.loading = 'eager'; return image.decode().catch(() => {}); }))`,
  );
}
