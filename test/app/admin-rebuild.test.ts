import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { rebuildSection } from '../../src/app/admin/rebuild/index.ts';
import { claimRun } from '../../src/rebuild/progress.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { adminPortal } from '../rebuild/admin-portal.ts';
import { writeHistory } from '../rebuild/history.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('admin rebuild: an admin rebuilds a projection from the portal and follows it; others may not', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  await writeHistory(system.messageStore, system.messageStorePool, { videos: 2 });
  system.start();
  await waitUntil('the live catalog', async () => (await system.db('videos').whereNotNull('name')).length === 2);
  const adminId = randomUUID();
  let section: ReturnType<typeof rebuildSection> | undefined;
  const app = adminPortal(system, adminId, [(deps) => (section = rebuildSection(deps))]);
  const as = (userId: string) => ({ 'x-test-user': userId });

  for (const [method, url] of [
    ['get', '/admin/rebuild'],
    ['get', '/admin/rebuild/videos'],
    ['post', '/admin/rebuild/videos'],
  ] as const) {
    t.equal((await request(app)[method](url)).status, 303, `${method} ${url}: a visitor is sent to log in`);
    t.equal(
      (await request(app)[method](url).set(as(randomUUID()))).status,
      403,
      `${method} ${url}: a user without the role → 403`,
    );
  }

  const list = await request(app).get('/admin/rebuild').set(as(adminId)).expect(200);
  for (const name of [
    'home-page',
    'user-credentials',
    'videos',
    'creators-videos',
    'video-operations',
    'admin-users',
    'admin-streams',
    'user-profiles',
    'playback',
    'video-search',
  ])
    t.match(list.text, new RegExp(`action="/admin/rebuild/${name}"`), `a button for ${name}`);
  t.match(list.text, /<a [^>]*href="\/admin\/rebuild"[^>]*>Rebuild<\/a>/, 'the section is in the admin nav');
  t.doesNotMatch(list.text, /http-equiv="refresh"/, 'nothing running: no refresh');

  // A run another process holds: its page follows it by refreshing itself, with a bar.
  await claimRun(system.db, {
    projection: 'creators-videos',
    runId: randomUUID(),
    requestedBy: 'cli:someone@elsewhere',
  });
  await system
    .db('projection_rebuilds')
    .where({ projection: 'creators-videos' })
    .update({ phase: 'building', done: 30, total: 120, started_at: system.db.raw(`now() - interval '30 seconds'`) });
  const following = await request(app).get('/admin/rebuild/creators-videos').set(as(adminId)).expect(200);
  t.match(
    following.text,
    /<meta http-equiv="refresh" content="2">/,
    'a running rebuild’s page refreshes itself (no script)',
  );
  t.match(following.text, /<progress class="upload-progress__bar" max="100" value="25">/, 'a bar at 25 %');
  t.match(
    following.text,
    /building: 30 of 120 messages \(25%\), about \d+ (s|min) left/,
    'with the phase, the count and an estimate of the time left',
  );
  t.match(following.text, /cli:someone@elsewhere/, 'and who asked');
  const refused = await request(app).post('/admin/rebuild/creators-videos').set(as(adminId)).type('form').send({});
  t.equal(refused.status, 303, 'asking again while it runs leads to its page');
  t.match(
    (await request(app).get('/admin/rebuild').set(as(adminId))).text,
    /http-equiv="refresh"/,
    'the list refreshes while one runs',
  );

  const posted = await request(app).post('/admin/rebuild/videos').set(as(adminId)).type('form').send({});
  t.equal(posted.status, 303, 'post/redirect/get');
  t.equal(posted.headers.location, '/admin/rebuild/videos', 'to the projection’s page');
  await section!.jobs.idle();
  const done = await request(app).get('/admin/rebuild/videos').set(as(adminId)).expect(200);
  t.match(done.text, /<strong>done<\/strong>/, 'the page says done');
  t.doesNotMatch(done.text, /http-equiv="refresh"/, 'and stops refreshing');
  t.match(done.text, new RegExp(`admin:${adminId}`), 'naming the admin');
  const actions = await system.messageStore.readStream(adminActionsStreamName(adminId));
  t.deepEqual(
    actions.map((action) => [action.type, (action.data as { projection: string }).projection, action.metadata.userId]),
    [
      ['ProjectionRebuildRequested', 'videos', adminId],
      ['ProjectionRebuilt', 'videos', adminId],
    ],
    'recorded as the admin’s actions (the refused one is not)',
  );
  t.equal((await system.db('videos').whereNotNull('name')).length, 2, 'the catalog is whole after the swap');

  t.equal(
    (await request(app).get('/admin/rebuild/nothing').set(as(adminId))).status,
    404,
    'an unknown projection’s page is a 404',
  );
  t.equal(
    (await request(app).post('/admin/rebuild/nothing').set(as(adminId)).type('form').send({})).status,
    404,
    'and so is rebuilding it',
  );
});
