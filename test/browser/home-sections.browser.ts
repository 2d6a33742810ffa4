// The home page's sections in Chromium, at a desktop's and a phone's width: Most watched this week
// above Newest, each linking to its own page (docs/screenshots/issue-19/ with SAVE_SCREENSHOTS=1).
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expectAccessible } from '../helpers/axe.ts';
import { openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { FFMPEG } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const run = promisify(execFile);

const TUTORIALS = [
  ['Knitting a cable stitch, slowly', 'Ada Lovelace', 'ada', 412],
  ['Sourdough starter from scratch', 'Grace Hopper', 'grace', 187],
  ['Tuning a bicycle derailleur', 'Ada Lovelace', 'ada', 95],
  ['Watercolour skies in ten minutes', 'Hedy Lamarr', 'hedy', 41],
  ['Soldering through-hole parts', 'Grace Hopper', 'grace', 12],
  ['Git rebase without fear', 'Hedy Lamarr', 'hedy', 1],
  ['Folding a fitted sheet', 'Ada Lovelace', 'ada', 0],
  ['Sharpening a kitchen knife', 'Grace Hopper', 'grace', 0],
] as const;

scopedTest(
  'in Chromium: the home page shows Most watched this week above Newest, each with its own page, at 1280 and 390 px',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const owners = new Map<string, string>();
    await mkdir(path.join(system.videoDir, 'posters'), { recursive: true });
    for (const [index, [name, creator, handle, views]] of TUTORIALS.entries()) {
      const videoId = randomUUID();
      const ownerId = owners.get(handle) ?? randomUUID();
      if (!owners.has(handle)) {
        owners.set(handle, ownerId);
        await system.db('user_profiles').insert({ user_id: ownerId, display_name: creator, handle });
      }
      // A poster of its own colour, as a transcode would leave one.
      const hue = (index * 45) % 360;
      await run(FFMPEG, [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `color=c=0x334155:s=320x180,hue=h=${hue}`,
        '-frames:v',
        '1',
        path.join(system.videoDir, 'posters', `${videoId}.jpg`),
      ]);
      await system.db('videos').insert({
        video_id: videoId,
        owner_id: ownerId,
        name,
        status: 'published',
        visibility: 'public',
        transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
        poster_uri: `video-store:posters/${videoId}.jpg`,
        duration_seconds: 60 + index * 97,
        views: views * 3,
        // Published in another order than watched: the two sections differ.
        published_at: system.db.raw('now() - make_interval(hours => ?)', [((index * 3) % TUTORIALS.length) * 5]),
      });
      if (views > 0)
        await system.db('video_weekly_views').insert({
          video_id: videoId,
          week_ending: system.db.raw("(now() AT TIME ZONE 'UTC')::date"),
          views,
        });
    }
    await system.db('home_page').update({ videos_watched: 751 });
    const page = await (await browser.newContext()).newPage();
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${base}/`);
      const headings = await page.locator('main h2').allTextContents();
      t.deepEqual(
        headings.slice(0, 2),
        ['Most watched this week', 'Newest videos'],
        `${width} px: the week's most watched, then the newest`,
      );
      t.ok(
        await page.isVisible('section[aria-labelledby="popular-title"] >> text=412 views this week'),
        `${width} px: the top video with its views this week`,
      );
      await expectAccessible(t, page, 'home, with sections');
      await screenshot(page, `issue-19/home-${width}`);
      await page.click('a[href="/popular"]');
      await page.waitForURL(`${base}/popular`);
      t.ok(await page.isVisible('text=1 view this week'), `${width} px: /popular says "1 view this week"`);
      await expectAccessible(t, page, 'most watched this week');
      await screenshot(page, `issue-19/popular-${width}`);
    }
  },
);
