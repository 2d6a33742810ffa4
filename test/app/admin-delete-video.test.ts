import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { liveSubscriptions } from '../../src/aggregators/definition.ts';
import { adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { videosDefinition } from '../../src/aggregators/videos/index.ts';
import { videosSection } from '../../src/app/admin/videos/index.ts';
import { usersSection } from '../../src/app/admin/users/index.ts';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { videoPublishingCommandStreamName } from '../../src/contracts/video-publishing.ts';
import type { System } from '../../src/system.ts';
import { FROM_THIS_SITE, seedAccount } from '../helpers/accounts.ts';
import { adminSectionApp, checkAdminOnly, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { createTestSystem, FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';

// The component is not run here: the test writes its answer (VideoDeleted) itself, and lets the
// projections the admin pages and the watch page read catch up.
async function catchUp(system: System): Promise<void> {
  const deps = {
    db: system.db,
    messageStore: system.messageStore,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY },
  };
  for (const subscription of [
    ...liveSubscriptions(videosDefinition, deps),
    ...liveSubscriptions(adminUsersDefinition, deps),
  ])
    await drain(subscription);
}

scopedTest(
  'admin delete: confirmed in a dialog or on a page of its own, recorded as the admin’s action, sent once as DeleteVideo in the admin’s name',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const site = await adminSectionApp(system, [videosSection, usersSection]);
    const { app, admin } = site;
    const creator = await seedAccount(system.db);
    const video = { ...newVideo(), ownerId: creator.userId };
    await writeEvents(
      system.messageStore,
      video,
      controls.accepted(video, {}, 'draft'),
      controls.published(video),
      controls.named(video, 'Old <b>tutorial</b>'),
    );
    await catchUp(system);
    const page = `/admin/videos/${video.videoId}`;
    await checkAdminOnly(t, site, [page, `${page}/delete`]);

    const shown = await request(app).get(page).set('cookie', admin.cookie).expect(200);
    t.match(shown.text, /<dt>Visibility<\/dt><dd>draft<\/dd>/, 'the page says the video is a draft');
    t.match(
      shown.text,
      new RegExp(`<a class="button button--danger" href="${page}/delete" data-confirm-dialog="delete-dialog">`),
      'a delete button, to a page of its own without script',
    );
    t.match(
      shown.text,
      /<dialog[^>]*id="delete-dialog"[^>]*aria-labelledby="delete-dialog-title"/,
      'and, with script, a dialog',
    );
    t.match(shown.text, /Delete “<bdi>Old &lt;b&gt;tutorial&lt;\/b&gt;<\/bdi>”\?/, 'naming the video, escaped');
    t.match(
      shown.text,
      /<script type="module" src="\/public\/js\/confirm-dialog.js"><\/script>/,
      'opened by a script file (no inline script)',
    );

    const confirm = await request(app).get(`${page}/delete`).set('cookie', admin.cookie).expect(200);
    t.match(
      confirm.text,
      /<h1[^>]*>Delete “<bdi>Old &lt;b&gt;tutorial&lt;\/b&gt;<\/bdi>”\?<\/h1>/,
      'the page without script asks the same',
    );
    t.match(confirm.text, new RegExp(`<a class="button" href="${page}">Keep it</a>`), 'with a way back');
    const requestId = /name="request" value="([^"]+)"/.exec(confirm.text)?.[1] ?? '';
    const post = (form: Record<string, string>) =>
      request(app)
        .post(`${page}/delete`)
        .set('cookie', admin.cookie)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: CSRF_TOKEN, ...form });

    t.equal((await post({})).status, 400, 'a confirmation without its request id → 400');
    t.equal(
      (
        await request(app)
          .post(`/admin/videos/${randomUUID()}/delete`)
          .set('cookie', admin.cookie)
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: CSRF_TOKEN, request: requestId })
      ).status,
      404,
      'an unknown video → 404',
    );
    t.equal(
      (await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId))).length,
      0,
      'nothing sent yet',
    );

    const sent = await post({ request: requestId });
    t.deepEqual([sent.status, sent.headers.location], [303, page], 'confirmed: back to the video’s page');
    t.equal((await post({ request: requestId })).status, 303, 'the same confirmation posted again');
    const actions = await system.messageStore.readStream(adminActionsStreamName(admin.userId));
    t.deepEqual(
      actions.map((m) => [m.type, m.data]),
      [['VideoDeleteRequested', { adminId: admin.userId, videoId: video.videoId }]],
      'one action in adminActions-<adminId>',
    );
    const commands = await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId));
    t.deepEqual(
      commands.map((m) => [m.type, m.data, m.metadata.userId, m.metadata.traceId === actions[0]?.metadata.traceId]),
      [['DeleteVideo', { videoId: video.videoId }, admin.userId, true]],
      'one DeleteVideo, in the admin’s name, on the action’s trace',
    );

    await writeEvents(system.messageStore, video, controls.deleted(video, { userId: admin.userId }));
    await catchUp(system);
    const after = await request(app).get(page).set('cookie', admin.cookie).expect(200);
    t.match(after.text, /<h2[^>]*>Deleted<\/h2>/, 'the admin page says it is deleted');
    t.doesNotMatch(after.text, /Delete this video/, 'and offers no second deletion');
    t.equal(
      (await request(app).get(`${page}/delete`).set('cookie', admin.cookie)).status,
      303,
      'its confirmation page leads back to it',
    );
    const owner = await request(app).get(`/admin/users/${creator.userId}`).set('cookie', admin.cookie).expect(200);
    const ownersVideos = /<section class="admin-user-videos"[\s\S]*?<\/section>/.exec(owner.text)?.[0] ?? '';
    t.match(
      ownersVideos,
      /None uploaded/,
      'its owner’s list of videos has it no more (their history keeps its messages)',
    );
    // It was a draft: to anyone who could not watch it, it was never here (test/app/video-visibility.test.ts has who is told).
    const watch = await request(system.app).get(`/videos/${video.videoId}`);
    t.deepEqual(
      [watch.status, /Video not found/.test(watch.text)],
      [404, true],
      'its watch page: the plain 404, to a visitor',
    );
  },
);
