import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { SAMPLE_VIDEOS, type DemoSeeding } from '../../src/demo/index.ts';
import { createSeedingProgress } from '../../src/demo/progress.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const REFRESH = /<meta http-equiv="refresh" content="5">/;
const PREPARING = /Sample videos are being prepared/;

/** A seeding run the test ends when it likes. */
function seedingRun() {
  let finish!: (seeding: DemoSeeding) => void;
  let fail!: (error: Error) => void;
  const run = new Promise<DemoSeeding>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const progress = createSeedingProgress();
  const tracked = progress.track(run).catch(() => undefined);
  return {
    progress,
    finish: async (seeding: DemoSeeding) => (finish(seeding), await tracked),
    fail: async () => (fail(new Error('ffmpeg is missing')), await tracked),
  };
}

/** An outcome of a sample's publishing, as the video-publishing component would write it. */
async function outcome(store: MessageStore, videoId: string, type: string): Promise<void> {
  await store.write(videoPublishingStreamName(videoId), {
    id: randomUUID(),
    type,
    data: { videoId, reason: 'test' },
    metadata: {},
  });
}

test('home page while the demo is seeded: says the samples are coming and refreshes until they are listed', async (t) => {
  const demo = seedingRun();
  const system = await createTestSystem({ pageCacheMs: 0, demoSeeding: demo.progress });
  closeAtEnd(t, () => system.stop());
  const seeding = await request(system.app).get('/').expect(200);
  t.match(seeding.text, PREPARING, 'while the seeder runs, the empty catalog says samples are being prepared');
  t.match(seeding.text, /refreshes by itself/, 'and that the page refreshes');
  t.match(seeding.text, REFRESH, 'which it does, without JavaScript');
  t.doesNotMatch(seeding.text, /No videos yet/, 'not that the site is empty');

  await demo.finish({ written: [{ streamName: 'videoPublishing:command-x', type: 'PublishVideo' }] });
  const converting = await request(system.app).get('/').expect(200);
  t.match(converting.text, REFRESH, 'the seeder done, the samples still converting: still refreshing');

  const [first, ...others] = SAMPLE_VIDEOS;
  await outcome(system.messageStore, first!.videoId, 'VideoPublished');
  for (const sample of others) await outcome(system.messageStore, sample.videoId, 'VideoPublishingFailed');
  t.match(
    (await request(system.app).get('/').expect(200)).text,
    REFRESH,
    'one published, the catalog not caught up yet: still refreshing',
  );

  await system.db('videos').insert({
    video_id: first!.videoId,
    owner_id: randomUUID(),
    name: first!.name,
    status: 'published',
    published_at: system.db.raw('now()'),
    duration_seconds: 5,
    views: 0,
  });
  const listed = await request(system.app).get('/').expect(200);
  t.match(listed.text, new RegExp(first!.name), 'the sample is listed');
  t.doesNotMatch(listed.text, REFRESH, 'and the page stops refreshing');
  t.doesNotMatch(listed.text, PREPARING);
});

test('home page: no refresh once the demo has given up, or every sample failed, or with the demo off', async (t) => {
  const failed = seedingRun();
  const finished = seedingRun();
  const systems = await Promise.all([
    createTestSystem({ pageCacheMs: 0, demoSeeding: failed.progress }),
    createTestSystem({ pageCacheMs: 0, demoSeeding: finished.progress }),
    createTestSystem({ pageCacheMs: 0 }),
  ]);
  closeAtEnd(t, () => Promise.all(systems.map((system) => system.stop())));
  const [afterFailure, afterOutcomes, demoOff] = systems;
  await failed.fail();
  const failedPage = await request(afterFailure!.app).get('/').expect(200);
  t.match(failedPage.text, /No videos yet/, 'the seeder failed: the empty catalog is the truth');
  t.doesNotMatch(failedPage.text, REFRESH, 'and nothing is coming, so no refresh');

  await finished.finish({ written: [] });
  for (const sample of SAMPLE_VIDEOS)
    await outcome(afterOutcomes!.messageStore, sample.videoId, 'VideoPublishingFailed');
  const allFailed = await request(afterOutcomes!.app).get('/').expect(200);
  t.doesNotMatch(allFailed.text, REFRESH, 'every sample failed to convert: no refresh');
  t.match(allFailed.text, /No videos yet/);

  const off = await request(demoOff!.app).get('/').expect(200);
  t.doesNotMatch(off.text, REFRESH, 'demo content off: no refresh');
  t.doesNotMatch(off.text, PREPARING);
});
