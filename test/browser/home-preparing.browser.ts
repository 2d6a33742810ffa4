import { SAMPLE_VIDEOS, type DemoSeeding } from '../../src/demo/index.ts';
import { createSeedingProgress } from '../../src/demo/progress.ts';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'in Chromium: on a first start the home page says the samples are coming and reloads by itself until one is listed',
  async (t, scope) => {
    let finishSeeding!: (seeding: DemoSeeding) => void;
    const progress = createSeedingProgress();
    const tracked = progress.track(new Promise<DemoSeeding>((resolve) => (finishSeeding = resolve)));
    const system = scope.add(await createTestSystem({ pageCacheMs: 0, demoSeeding: progress }), (s) => s.stop());
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

    await page.goto(`${base}/`);
    t.ok(await page.isVisible('text=Sample videos are being prepared'), 'the empty home page says samples are coming');
    t.ok(await page.isVisible('button:has-text("Stop checking")'), 'and offers to stop refreshing');
    await expectAccessible(t, page, 'home, samples being prepared, 1280 px');
    await screenshot(page, 'home-preparing');
    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(t, page, 'home, samples being prepared, 390 px');
    await screenshot(page, 'home-preparing-390');

    // The seeder is done and a sample is listed: the page shows it on its next refresh, by itself.
    finishSeeding({ written: [] });
    await tracked;
    const sample = SAMPLE_VIDEOS[0]!;
    await system.db('videos').insert({
      video_id: sample.videoId,
      owner_id: sample.videoId,
      name: sample.name,
      status: 'published',
      published_at: system.db.raw('now()'),
      duration_seconds: 5,
      views: 0,
    });
    await page.waitForSelector(`text=${sample.name}`, { timeout: 15_000 });
    t.pass('the sample appeared without anyone reloading');
    t.equal(
      await page.locator('meta[http-equiv="refresh"], meta[name="refresh-seconds"]').count(),
      0,
      'and the page refreshes no more',
    );
  },
);
