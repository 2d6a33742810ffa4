import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { videosSection } from '../../src/app/admin/videos/index.ts';
import { videoPublishingCommandStreamName } from '../../src/contracts/video-publishing.ts';
import { FROM_THIS_SITE, logIn, seedAccount } from '../helpers/accounts.ts';
import { adminSectionApp, checkAdminOnly, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { grantAdminRoleInIdentity } from '../fixtures/identity-controls.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const REASON = 'Spam: every minute links to a paid service';

test('admin take-down: an admin takes a video down from the portal with a reason; it leaves the catalog and its page, and its creator sees why', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const site = await adminSectionApp(system, [videosSection]);
  const { app, admin } = site;
  await grantAdminRoleInIdentity(system.messageStore, admin.userId);
  const creator = await seedAccount(system.db, { email: 'spammer@example.com' });
  const video = { ...newVideo(), ownerId: creator.userId };
  await writeEvents(
    system.messageStore,
    video,
    controls.accepted(video),
    controls.published(video),
    controls.named(video, 'Followers fast'),
  );
  const inAdminPages = () => system.db('admin_user_videos').where({ video_id: video.videoId }).first('status');
  await waitUntil(
    'the video in the catalog and the admin pages',
    async () =>
      (await system.db('videos').where({ video_id: video.videoId, status: 'published' }).first()) &&
      (await inAdminPages()),
  );
  t.equal((await request(system.app).get(`/videos/${video.videoId}`)).status, 200, 'watchable before');
  await checkAdminOnly(t, site, ['/admin/videos', `/admin/videos/${video.videoId}`]);

  const found = await request(app)
    .get(`/admin/videos?video=${encodeURIComponent(`https://tutorials.example/videos/${video.videoId}`)}`)
    .set('cookie', admin.cookie);
  t.equal(found.status, 303, 'a watch page address finds the video');
  t.equal(found.headers.location, `/admin/videos/${video.videoId}`, 'on its admin page');
  t.equal(
    (await request(app).get('/admin/videos?video=nothing-here').set('cookie', admin.cookie)).status,
    400,
    'text with no video id → 400, said plainly',
  );
  t.equal(
    (await request(app).get(`/admin/videos/${randomUUID()}`).set('cookie', admin.cookie)).status,
    404,
    'an unknown video → 404',
  );

  const page = await request(app).get(`/admin/videos/${video.videoId}`).set('cookie', admin.cookie).expect(200);
  t.match(page.text, /Take this video down/, 'its page offers a take-down');
  t.match(page.text, /cannot be\s+published again/, 'and says what it does');
  const requestId = /name="request" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const post = (form: Record<string, string>) =>
    request(app)
      .post(`/admin/videos/${video.videoId}/take-down`)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, request: requestId, ...form });

  const blank = await post({ reason: '   ' });
  t.equal(blank.status, 400, 'no reason → 400');
  t.match(blank.text, /Say why it is taken down/, 'the page says what is missing');
  t.equal((await post({ reason: 'x'.repeat(501) })).status, 400, 'a reason over 500 characters → 400');
  t.equal(
    (await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId))).length,
    0,
    'nothing sent yet',
  );

  t.equal((await post({ reason: REASON })).status, 303, 'taken down');
  t.equal((await post({ reason: REASON })).status, 303, 'the same form posted again');
  const actions = await system.messageStore.readStream(adminActionsStreamName(admin.userId));
  t.deepEqual(
    actions.map((m) => [m.type, m.data]),
    [['VideoTakeDownRequested', { adminId: admin.userId, videoId: video.videoId, reason: REASON }]],
    'one action in adminActions-<adminId>',
  );
  const commands = await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId));
  t.deepEqual(
    commands.map((m) => [m.type, m.data, m.metadata.userId]),
    [['TakeDownVideo', { videoId: video.videoId, reason: REASON }, admin.userId]],
    'one TakeDownVideo, in the admin’s name',
  );

  await waitUntil(
    'the catalog to drop it',
    async () => (await system.db('videos').where({ video_id: video.videoId }).first('status'))?.status === 'takenDown',
  );
  const watch = await request(system.app).get(`/videos/${video.videoId}`);
  t.equal(watch.status, 410, 'its watch page: 410 Gone');
  t.match(watch.text, /taken down by the site’s moderators/, 'saying so in plain words');
  t.equal((await request(system.app).get(`/videos/${video.videoId}/video.mp4`)).status, 410, 'its file too');
  t.doesNotMatch((await request(system.app).get('/')).text, /Followers fast/, 'the home page lists it no more');

  const agent = request.agent(system.app);
  t.equal((await logIn(agent, creator.email, creator.password)).status, 303, 'its creator logs in');
  await waitUntil(
    'the creator’s list',
    async () =>
      (await system.db('creators_videos').where({ video_id: video.videoId }).first('status'))?.status === 'takenDown',
  );
  const portal = await agent.get('/creators-portal').expect(200);
  t.match(portal.text, /Taken down by the site’s moderators/, 'their list says it was taken down');
  t.match(portal.text, new RegExp(`Reason given: ${REASON}`), 'with the reason');

  await waitUntil('the admin pages', async () => (await inAdminPages())?.status === 'takenDown');
  const after = await request(app).get(`/admin/videos/${video.videoId}`).set('cookie', admin.cookie).expect(200);
  t.match(after.text, new RegExp(REASON), 'the admin page shows the reason');
  t.doesNotMatch(after.text, /<button[^>]*>Take this video down/, 'and offers no second take-down');

  // A double click whose second post lands after the take-down applied: told so, not an error page.
  const late = await post({ reason: REASON });
  t.equal(late.status, 303, 'the same form posted once it is applied: back to its page');
  const flashed = [late.headers['set-cookie'] ?? []]
    .flat()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
  const told = await request(app).get(`/admin/videos/${video.videoId}`).set('cookie', flashed);
  t.match(told.text, /taken down already/, 'which says it is taken down already');
  t.equal(
    (await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId))).length,
    1,
    'and nothing more is sent',
  );
});
