import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { POSTER_CANDIDATES, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import { seedAccount } from '../helpers/accounts.ts';
import { logInAs, openBrowser, screenshot, serve } from '../helpers/chromium.ts';
import { createTestSystem } from '../helpers/test-system.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;
import { waitUntil } from '../helpers/wait-until.ts';
import { makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { makePoster } from '../fixtures/watchable-videos.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/**
 * A converted public video by `ownerId`, written as the video-publishing component writes one
 * (accepted, published, named, described), with a real file behind it: the catalog, search and up
 * next learn of it from these events, as they would on the site.
 */
async function publish(
  system: TestSystem,
  video: string,
  ownerId: string,
  name: string,
  description: string,
): Promise<string> {
  const videoId = randomUUID();
  const transcoded = await system.videoStore.put(videoKeys.transcoded(videoId), createReadStream(video));
  await makePoster(system.videoDir, videoId, 'testsrc');
  const stream = videoPublishingStreamName(videoId);
  const metadata = { traceId: randomUUID(), userId: ownerId };
  const sourceUri = uriOfKey(videoKeys.source(videoId));
  const events = [
    { type: 'VideoPublishingAccepted', data: { ownerId, videoId, sourceUri, visibility: 'public' } },
    {
      type: 'VideoPublished',
      data: {
        ownerId,
        videoId,
        sourceUri,
        transcodedUri: transcoded.uri,
        posterUri: uriOfKey(videoKeys.poster(videoId)),
        durationSeconds: 6,
        width: 320,
        height: 240,
        posterCandidateUris: Array.from({ length: POSTER_CANDIDATES }, (_, index) =>
          uriOfKey(videoKeys.posterCandidate(videoId, index)),
        ),
      },
    },
    { type: 'VideoNamed', data: { videoId, name } },
    { type: 'VideoDescribed', data: { videoId, description } },
  ];
  for (const event of events) await system.messageStore.write(stream, { id: randomUUID(), ...event, metadata });
  return videoId;
}

scopedTest(
  'in Chromium, the issue’s walk: search with a typo → open the result → play, leave at ~3 s → home lists it under Continue watching → resume there → up next offered at the end',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const dir = await tempDir(scope, 'browser-journey-');
    const video = await makeVideo(dir, { width: 320, height: 240, seconds: 6 });
    const creator = randomUUID();
    const first = await publish(system, video, creator, 'Kubernetes in ten minutes', 'Pods, deployments and services.');
    await publish(system, video, creator, 'Kubernetes networking explained', 'How pods find each other.');
    await waitUntil('both videos searchable and listed', async () => {
      const listed = await system
        .db('video_search')
        .where({ owner_id: creator, listed: true })
        .count<{ count: string }[]>({ count: '*' });
      const published = await system
        .db('videos')
        .where({ owner_id: creator, status: 'published', visibility: 'public' })
        .count<{ count: string }[]>({ count: '*' });
      return Number(listed[0]?.count) === 2 && Number(published[0]?.count) === 2;
    });

    const viewer = await seedAccount(system.db);
    const base = await serve(scope, system.app);
    const browser = await openBrowser(scope);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await logInAs(page, base, viewer);

    // The header's search box, with a typo.
    await page.fill('form[role="search"] input[name="q"]', 'kubernets');
    await page.press('form[role="search"] input[name="q"]', 'Enter');
    await page.waitForURL(/\/search\?q=kubernets/);
    const result = page.locator(`a[href="/videos/${first}"]`).first();
    t.ok(await result.isVisible(), 'the misspelled search finds the video');
    await screenshot(page, 'issue-19/journey-search-typo');
    await result.click();
    await page.waitForURL(`${base}/videos/${first}`);

    // Play, and leave at about 3 s (the page's report on leaving saves the place).
    await page.evaluate(`(async () => {
    const video = document.querySelector('video');
    video.muted = true;
    await video.play();
    video.currentTime = 3.2;
    await new Promise((resolve) => setTimeout(resolve, 200));
  })()`);
    await page.goto(`${base}/`);
    await waitUntil('the place remembered', async () => {
      const row = await system
        .db('playback_positions')
        .where({ user_id: viewer.userId, video_id: first })
        .first('position_seconds');
      return row !== undefined && Number(row.position_seconds) >= 2.5 && Number(row.position_seconds) < 5;
    });
    // The home page may have been served a moment before the report was applied (they race): look again.
    await page.reload();
    const section = page.locator('.continue-watching');
    await section.waitFor();
    t.match((await section.textContent()) ?? '', /Kubernetes in ten minutes/, 'home lists it under Continue watching');
    await screenshot(page, 'issue-19/journey-home-continue');

    await section.locator(`a[href="/videos/${first}"]`).first().click();
    await page.waitForURL(`${base}/videos/${first}`);
    const resume = page.locator('button:has-text("Resume at 0:03")');
    await resume.waitFor();
    await page.evaluate(`(() => { document.querySelector('video').muted = true; })()`);
    await resume.click();
    const resumedAt = Number(await page.evaluate(`document.querySelector('video').currentTime`));
    t.ok(resumedAt >= 2.5 && resumedAt < 5, `Resume plays from there (currentTime ${resumedAt.toFixed(1)} s)`);

    // To the end: the first of up next is offered, and nothing plays by itself.
    await page.evaluate(
      `(() => { const video = document.querySelector('video'); video.currentTime = video.duration - 0.3; return video.play(); })()`,
    );
    await page.waitForSelector('.up-next-offer >> text=Up next:', { timeout: 15_000 });
    t.equal(
      (await page.locator('.up-next-offer__text').textContent())?.trim(),
      'Up next: Kubernetes networking explained',
      'at the end, the creator’s other video is offered',
    );
    t.equal(page.url(), `${base}/videos/${first}`, 'and the page waits for a click');
    await screenshot(page, 'issue-19/journey-up-next');
  },
);
