import type { Page } from 'playwright-core';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { seedSearchableVideo } from '../fixtures/search-videos.ts';
import { makePoster } from '../fixtures/watchable-videos.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** A desktop and a phone. */
const WIDTHS = [1280, 390] as const;

scopedTest(
  'in Chromium: the header search box leads to results, close matches and no results, each accessible and within 390 px',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const kubernetes = await seedSearchableVideo(system.db, {
      title: 'Kubernetes in ten minutes',
      description: 'Pods, deployments and services, and how Kubernetes keeps them running.',
      creatorName: 'Grace Hopper',
    });
    const containers = await seedSearchableVideo(system.db, {
      title: 'Containers from scratch',
      description: 'Then we deploy them with Kubernetes.',
      creatorName: 'Ada Lovelace',
    });
    const promises = await seedSearchableVideo(system.db, {
      title: 'JavaScript promises explained',
      creatorName: 'Ada Lovelace',
    });
    await makePoster(system.videoDir, kubernetes, 'testsrc');
    await makePoster(system.videoDir, containers, 'smptebars');
    await makePoster(system.videoDir, promises, 'rgbtestsrc');

    const page = await (await browser.newContext()).newPage();
    const check = async (label: string, shot: string) => {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 800 });
        await expectAccessible(t, page, `${label} at ${width} px`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth')) as number;
        t.ok(overflow <= width, `${label} at ${width} px: nothing wider than the screen (${overflow} px)`);
        await screenshot(page, width === 390 ? `${shot}-mobile` : shot);
      }
    };

    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${base}/`);
    await page.fill('header input[type="search"]', 'kubernetes');
    await page.press('header input[type="search"]', 'Enter');
    await page.waitForURL(`${base}/search?q=kubernetes`);
    t.equal(await page.locator('.search-result').count(), 2, 'the header box (on a phone) searched: two results');
    t.equal(
      await page.locator('.search-result mark').first().textContent(),
      'Kubernetes',
      'the matching word is marked',
    );
    await check('search results', 'search');

    await search(page, base, 'javscript');
    t.equal(await page.locator('.search-result').count(), 1, 'a typo still finds the video');
    await check('close matches', 'search-close');

    await search(page, base, 'zzxqvw');
    t.ok(await page.locator('text=No videos found').isVisible(), 'no results says so');
    await check('no results', 'search-none');

    await page.goto(`${base}/search?q=${'a'.repeat(300)}`);
    await check('a search too long', 'search-too-long');
  },
);

async function search(page: Page, base: string, words: string): Promise<void> {
  await page.goto(`${base}/search?${new URLSearchParams({ q: words }).toString()}`);
}
