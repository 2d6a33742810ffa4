// Up next's Play starts the next video only on the page it opens, right then: the note it leaves in
// the tab (public/js/up-next.js) must not start a video the viewer opens later some other way.
import type { Page } from 'playwright-core';
import { logInAs, openBrowser, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { playToTheEnd, seedWatchableVideo } from '../fixtures/watchable-videos.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** To the end of the page's video, until up next offers Play. */
async function toTheEnd(page: Page): Promise<void> {
  await playToTheEnd(page);
  await page.waitForSelector('.up-next-offer a:has-text("Play")', { timeout: 10_000 });
}

async function waitsForItsViewer(page: Page): Promise<boolean> {
  await page.waitForFunction('document.querySelector("video").readyState >= 1', undefined, { timeout: 10_000 });
  // Long enough for a play() the script would have started to show.
  await page.waitForTimeout(500);
  return (await page.evaluate('document.querySelector("video").paused')) as boolean;
}

scopedTest(
  'in Chromium: Play opened in a new tab, or a Play long ago, leaves no note that starts the next video later in this tab',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { db, videoDir } = system;
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const ownerId = '6a1f0c1e-7f0e-4c55-8d7e-2a0b9a3c4d01';
    const watched = await seedWatchableVideo(db, videoDir, 'testsrc', {
      ownerId,
      title: 'Knitting a scarf, part one',
      minutesAgo: 30,
      playableSeconds: 2,
    });
    const next = await seedWatchableVideo(db, videoDir, 'testsrc', {
      ownerId,
      title: 'Knitting a scarf, part two',
      minutesAgo: 10,
      playableSeconds: 2,
    });

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/videos/${watched}`);
    await toTheEnd(page);
    // Ctrl+click: the next video opens in a tab of its own; this tab stays where it is.
    const opened = context.waitForEvent('page');
    await page.locator('.up-next-offer a:has-text("Play")').click({ modifiers: ['Control'] });
    await (await opened).close();
    t.equal(new URL(page.url()).pathname, `/videos/${watched}`, 'this tab stayed on the video');
    // Later, in this tab, the viewer opens the next video another way (its link in the list, the home page…).
    await page.goto(`${base}/videos/${next}`);
    t.ok(await waitsForItsViewer(page), 'the next video, opened later in the tab Play did not open, waits for a press');

    // A Play pressed long ago whose page never came (the video was taken down meanwhile, the viewer went back).
    await page.goto(`${base}/videos/${watched}`);
    await toTheEnd(page);
    await page.evaluate(`(() => {
    const play = document.querySelector('.up-next-offer a');
    play.addEventListener('click', (event) => event.preventDefault());
    play.click();
  })()`);
    await page.evaluate(`(() => {
    // As if pressed ten minutes ago: the note's time moved back (whatever its shape).
    const note = sessionStorage.getItem('up-next:play');
    const at = Date.now() - 10 * 60_000;
    try {
      const parsed = JSON.parse(note);
      if (parsed && typeof parsed === 'object') parsed.at = at;
      sessionStorage.setItem('up-next:play', JSON.stringify(parsed));
    } catch {
      // A note without a time at all: left as it is.
    }
  })()`);
    await page.goto(`${base}/videos/${next}`);
    t.ok(await waitsForItsViewer(page), 'a Play of ten minutes ago does not start the video now');

    // And Play, pressed as meant, still starts the next video.
    await page.goto(`${base}/videos/${watched}`);
    await toTheEnd(page);
    await page.locator('.up-next-offer a:has-text("Play")').click();
    await page.waitForURL(`${base}/videos/${next}`);
    await page.waitForFunction('document.querySelector("video").currentTime > 0', undefined, { timeout: 10_000 });
    t.pass('Play pressed as meant opens and starts the next video');
  },
);

scopedTest(
  'in Chromium: Play at the end of a video opens the next one where the viewer stopped in it, not from the start over their place',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { db, videoDir } = system;
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const ownerId = '6a1f0c1e-7f0e-4c55-8d7e-2a0b9a3c4d02';
    const watched = await seedWatchableVideo(db, videoDir, 'testsrc', {
      ownerId,
      title: 'Sourdough, the starter',
      minutesAgo: 30,
      playableSeconds: 2,
    });
    const next = await seedWatchableVideo(db, videoDir, 'testsrc', {
      ownerId,
      title: 'Sourdough, the first loaf',
      minutesAgo: 10,
      playableSeconds: 12,
    });
    const viewer = await seedAccount(db);
    // Part-way through the next one already (as the playback projection keeps it): stopped at 0:06.
    await db('playback_positions').insert({
      user_id: viewer.userId,
      video_id: next,
      position_seconds: 6,
      duration_seconds: 12,
      watched_at: new Date(),
      stream_position: 1,
    });

    const page = await (await browser.newContext()).newPage();
    await logInAs(page, base, viewer);

    await page.goto(`${base}/videos/${watched}`);
    await toTheEnd(page);
    await page.locator('.up-next-offer a:has-text("Play")').click();
    await page.waitForURL(`${base}/videos/${next}`);
    await page.waitForFunction('document.querySelector("video").currentTime > 0', undefined, { timeout: 10_000 });
    const at = Number(await page.evaluate('document.querySelector("video").currentTime'));
    t.ok(
      at >= 5.5,
      `the next video plays from where the viewer stopped in it (0:06), not from the start (currentTime ${at.toFixed(1)} s)`,
    );
  },
);
