import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { videoKeys } from '../../src/video-store/index.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'in Chromium: a creator uploads a video, sees it published, renames it; a viewer plays it and the view is counted',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const file = await makeVideo(await tempDir(scope, 'browser-upload-'), { width: 320, height: 240, seconds: 2 });
    const creator = await seedAccount(system.db, { verified: true });
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });

    await page.goto(`${base}/creators-portal`);
    t.equal(new URL(page.url()).pathname, '/auth/log-in', 'the portal asks a visitor to log in first');
    await page.fill('#email', creator.email);
    await page.fill('#password', creator.password);
    await page.click('button:has-text("Log in")');
    await page.waitForURL(`${base}/creators-portal`);
    t.pass('and comes back to the portal after');

    await page.check('input[name="visibility"][value="public"]');
    await page.setInputFiles('#video-file', file);
    await page.click('button:has-text("Upload")');
    await page.waitForURL(/\/creators-portal\/operations\//);
    t.pass('the upload lands on its operation page');
    // The page refreshes itself until the video is converted, then leads to its page in the portal.
    await page.waitForURL(/\/creators-portal\/videos\/[0-9a-f-]{36}$/, { timeout: 60_000 });
    t.pass('converted: the operation page leads to the video’s page in the portal');
    const videoId = page.url().split('/').pop()!;
    const watchUrl = `${base}/videos/${videoId}`;

    await page.fill('#name', 'Made in the browser test');
    await page.click('button:has-text("Save the title")');
    await page.waitForSelector('h1:has-text("Made in the browser test")', { timeout: 30_000 });
    t.pass('renamed through the portal');
    await screenshot(page, 'creators-video-renamed');

    await page.goto(watchUrl);
    // Run in the page (a string: the tests are compiled without the DOM's types).
    const currentTime = Number(
      await page.evaluate(`(async () => {
      const video = document.querySelector('video');
      video.muted = true;
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 800));
      return video.currentTime;
    })()`),
    );
    t.ok(currentTime > 0.2, `the video plays in the browser (currentTime ${currentTime.toFixed(2)} s)`);
    await page.waitForSelector('text=Your viewing was recorded', { timeout: 10_000 });
    t.pass('the page says the viewing was recorded');
    const viewings = await waitUntil('the VideoViewed event', async () => {
      const found = await system.messageStore.readStream(`viewing-${videoId}`);
      return found.length > 0 ? found : undefined;
    });
    t.equal(viewings.length, 1, 'one viewing for one play');
    t.equal((viewings[0]?.data as { userId?: string }).userId, creator.userId, 'by the logged-in viewer');
    await waitUntil('the catalog to count it', async () => {
      await page.goto(`${base}/`);
      return (await page.textContent('body'))?.includes('1 view') || undefined;
    });
    t.ok(await page.isVisible('text=Made in the browser test'), 'the catalog shows the video under its new name');
    await screenshot(page, 'catalog-after-upload');
  },
);

scopedTest(
  'in Chromium: a viewer whose network has recorded too many viewings is told so, in plain words, when playback starts',
  async (t, scope) => {
    const system = scope.add(
      await createTestSystem({ rateLimits: { viewingsPerAddress: { points: 1, windowSeconds: 600 } } }),
      (s) => s.stop(),
    );
    const dir = await tempDir(scope, 'browser-limit-');
    const videoId = randomUUID();
    const source = await makeVideo(dir, { width: 320, height: 240, seconds: 2 });
    const transcoded = await system.videoStore.put(videoKeys.transcoded(videoId), createReadStream(source));
    await system.db('videos').insert({
      video_id: videoId,
      name: 'Watched too often',
      status: 'published',
      transcoded_uri: transcoded.uri,
      poster_uri: transcoded.uri,
      duration_seconds: 2,
      width: 320,
      height: 240,
      published_at: new Date(),
    });
    const base = await serve(scope, system.app);
    // Someone else on the same network has used the address's allowance.
    const spent = await fetch(`${base}/record-viewing/${videoId}`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    t.equal(spent.status, 303, 'the allowance of one is spent');

    const browser = await openBrowser(scope);
    for (const width of [1280, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      await page.goto(`${base}/videos/${videoId}`);
      await page.evaluate(`(async () => {
      const video = document.querySelector('video');
      video.muted = true;
      await video.play();
    })()`);
      await page.waitForSelector('text=Too many viewings from your network just now', { timeout: 10_000 });
      const said = (await page.textContent('[data-viewing-status]')) ?? '';
      t.match(
        said,
        /this one was not counted\. Try again in 10 minutes\./,
        `${width} px: the page says what happened and how long to wait`,
      );
      t.notOk(await page.isVisible('#viewing-form'), 'and offers no button that would only be refused again');
      await screenshot(page, width === 1280 ? 'watch-too-many-viewings' : 'watch-too-many-viewings-mobile');
      await expectAccessible(t, page, 'watch page, viewing refused');
      await page.close();
    }
    t.equal((await system.messageStore.readStream(`viewing-${videoId}`)).length, 1, 'nothing more was written');
  },
);
