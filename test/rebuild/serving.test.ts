import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { pickProjections, rebuildableProjections, runRebuild } from '../../src/rebuild/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { view, writeHistory } from './history.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('rebuild: the site serves the old catalog while the new one is built, and the new one after, with viewings made meanwhile', async (t) => {
  // No page cache: every look below reads the tables.
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const { videos } = await writeHistory(system.messageStore, system.messageStorePool, { videos: 4 });
  system.start();
  const first = videos[0]!;
  const viewsOf = async () =>
    ((await request(system.app).get(`/videos/${first.videoId}/views`).expect(200)).body as { views: number }).views;
  await waitUntil('the live catalog to count the first video’s viewing', async () => (await viewsOf()) === 1);
  const catalog = await request(system.app).get('/').expect(200);
  for (const n of [1, 2, 3, 4]) t.match(catalog.text, new RegExp(`Video ${n}<`), `the catalog lists Video ${n}`);

  const [projection] = pickProjections(rebuildableProjections(), 'videos')!;
  const seen: Array<{ phase: string; status: number; listed: boolean; views: number }> = [];
  let viewedMeanwhile = false;
  let duringSwap: Promise<request.Response> | undefined;
  const adminId = randomUUID();
  await runRebuild({
    db: system.db,
    messageStore: system.messageStore,
    messageStorePool: system.messageStorePool,
    logger: silentLogger,
    projection: projection!,
    requester: { adminId, userId: adminId, label: 'test', traceId: randomUUID() },
    batchSize: 2,
    // Between batches: look at the site, as a visitor would, and watch a video.
    onProgress: async (report) => {
      if (report.phase !== 'building' || report.done === 0) return;
      const home = await request(system.app).get('/');
      seen.push({
        phase: report.phase,
        status: home.status,
        listed: /Video 4</.test(home.text),
        views: await viewsOf(),
      });
      if (!viewedMeanwhile) {
        viewedMeanwhile = true;
        await view(system.messageStore, first, 2);
      }
    },
    // While the swap holds its locks: a visitor's request waits for the commit, then reads the new table by name.
    onSwapped: async () => {
      duringSwap = request(system.app)
        .get('/')
        .then((response) => response);
      await waitUntil('the visitor to wait on the swap’s lock', async () => {
        const waiting = await system.db.raw<{ rows: unknown[] }>('SELECT 1 FROM pg_locks WHERE NOT granted');
        return waiting.rows.length > 0;
      });
    },
  });
  const swapped = await duringSwap;
  t.equal(swapped?.status, 200, 'a visitor who came during the swap waited for it and got the page');
  t.ok(swapped && /Video 4</.test(swapped.text), 'with the whole catalog, from the new table');
  t.ok(seen.length >= 3, `looked at the site ${seen.length} times during the build`);
  t.ok(
    seen.every((look) => look.status === 200 && look.listed),
    'every look during the build found the whole catalog: building holds no lock the site waits on',
  );
  t.ok(
    seen.every((look) => look.views >= 1),
    'and the video’s count as the live subscriber keeps it',
  );
  await waitUntil('the viewings made during the rebuild to be counted', async () => (await viewsOf()) === 3);
  const after = await request(system.app).get('/').expect(200);
  for (const n of [1, 2, 3, 4])
    t.match(after.text, new RegExp(`Video ${n}<`), `after the swap the catalog lists Video ${n}`);
  await view(system.messageStore, first, 1);
  await waitUntil('a viewing after the swap to be counted once', async () => (await viewsOf()) === 4);
  t.pass('counts stay exact across the swap: 1 before, 2 during, 1 after');
});
