import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { createCreatorsPortalApp } from '../../src/app/creators-portal/index.ts';
import { createCreatorsPortalQueries } from '../../src/app/creators-portal/queries.ts';
import { createVideosApp } from '../../src/app/videos/index.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { createLocalVideoStore } from '../../src/video-store/index.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// Found in review of issue 18: each test is one defect.

scopedTest(
  'creators portal: picking a poster frame takes one change from the allowance, as every other change does',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 2 }), (d) => d.destroy());
    const { store } = openMemoryStore(scope);
    const dir = scope.add(await mkdtemp(path.join(os.tmpdir(), 'vt-review-')), (d) =>
      rm(d, { recursive: true, force: true }),
    );
    const ownerId = randomUUID();
    const videoId = randomUUID();
    const frames = [0, 1, 2].map((index) => `video-store:posters/${videoId}/frame-${index}.jpg`);
    await db('creators_videos').insert({
      video_id: videoId,
      owner_id: ownerId,
      name: 'Knots',
      status: 'published',
      visibility: 'draft',
      progress: 100,
      poster_uri: frames[0],
      poster_candidate_uris: JSON.stringify(frames),
      uploaded_at: new Date(),
    });
    let asked = 0;
    const portal = createCreatorsPortalApp({
      db,
      messageStore: store,
      videoStore: createLocalVideoStore({ dir }),
      maxUploadBytes: 1024,
      minimumUploadRate: { bytesPerSecond: 1, windowMs: 60_000 },
      editWait: async () => {
        asked += 1;
        return 42;
      },
      maxVideosInHand: 4,
      emailVerified: async () => true,
    });
    const app = express();
    app.set('views', [COMMON_VIEWS_DIR, portal.viewsDir]);
    app.set('view engine', 'pug');
    app.locals.basedir = COMMON_VIEWS_DIR;
    app.use(express.urlencoded({ extended: false }));
    app.use((req, _res, next) => {
      req.context = { traceId: randomUUID(), userId: ownerId };
      req.session = {};
      next();
    });
    app.use('/creators-portal', portal.router);
    app.use(errorHandler({ logger: silentLogger }));

    const json = await request(app)
      .post(`/creators-portal/videos/${videoId}/poster`)
      .set('Accept', 'application/json')
      .type('form')
      .send({ candidate: '1' });
    t.equal(json.status, 429, 'over the allowance → 429');
    t.equal(json.headers['retry-after'], '42', 'with Retry-After');
    const page = await request(app)
      .post(`/creators-portal/videos/${videoId}/poster`)
      .type('form')
      .send({ candidate: '1' });
    t.equal(page.status, 429, 'without a script too');
    t.equal(asked, 2, 'the allowance was asked');
    t.equal((await store.readCategory('videoPublishing:command')).length, 0, 'no ChooseVideoPoster written');
  },
);

scopedTest(
  'creators portal: a failed upload from before failed_at existed leaves the list 7 days after its upload',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 2 }), (d) => d.destroy());
    const ownerId = randomUUID();
    const longAgo = new Date(Date.now() - 30 * 24 * 60 * 60 * 1000);
    const old = randomUUID();
    const recent = randomUUID();
    // Rows as the projection left them before the migration added failed_at: null.
    await db('creators_videos').insert([
      { video_id: old, owner_id: ownerId, status: 'failed', failure_reason: 'not a video', uploaded_at: longAgo },
      { video_id: recent, owner_id: ownerId, status: 'failed', failure_reason: 'not a video', uploaded_at: new Date() },
    ]);
    const listed = (await createCreatorsPortalQueries(db).videosOf(ownerId, 10)).map((video) => video.videoId);
    t.deepEqual(listed, [recent], 'the month-old failure is not listed; yesterday’s is');
  },
);

scopedTest(
  'watch page: a draft that was deleted or taken down is 404 "not here" to anyone but its creator, who is told what happened',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 2 }), (d) => d.destroy());
    const dir = scope.add(await mkdtemp(path.join(os.tmpdir(), 'vt-review-')), (d) =>
      rm(d, { recursive: true, force: true }),
    );
    const ownerId = randomUUID();
    const row = (status: string, visibility: string) => ({
      video_id: randomUUID(),
      owner_id: ownerId,
      status,
      visibility,
      published_at: new Date(),
    });
    const draftDeleted = row('deleted', 'draft');
    const draftTakenDown = row('takenDown', 'draft');
    const publicDeleted = row('deleted', 'public');
    await db('videos').insert([draftDeleted, draftTakenDown, publicDeleted]);
    const videos = createVideosApp({
      db,
      videoStore: createLocalVideoStore({ dir }),
      rolesOf: async () => [],
      cacheMs: 0,
    });
    const appAs = (userId: string | null) => {
      const app = express();
      app.set('views', [COMMON_VIEWS_DIR, videos.viewsDir]);
      app.set('view engine', 'pug');
      app.locals.basedir = COMMON_VIEWS_DIR;
      app.use((req, _res, next) => {
        req.context = { traceId: randomUUID(), userId };
        req.session = {};
        next();
      });
      app.use('/videos', videos.router);
      app.use(errorHandler({ logger: silentLogger }));
      return app;
    };
    for (const stranger of [null, randomUUID()]) {
      const who = stranger ? 'another user' : 'anonymous';
      for (const { video_id: videoId } of [draftDeleted, draftTakenDown]) {
        const answer = await request(appAs(stranger)).get(`/videos/${videoId}`);
        t.equal(answer.status, 404, `${who}: 404`);
        t.doesNotMatch(answer.text, /deleted|taken down by/i, `${who}: nothing said of a draft that existed`);
      }
      t.match(
        (await request(appAs(stranger)).get(`/videos/${publicDeleted.video_id}`)).text,
        /This video was deleted/,
        `${who}: a public one says so`,
      );
    }
    t.match(
      (await request(appAs(ownerId)).get(`/videos/${draftDeleted.video_id}`)).text,
      /This video was deleted/,
      'its creator is told it was deleted',
    );
    t.equal(
      (await request(appAs(ownerId)).get(`/videos/${draftTakenDown.video_id}`)).status,
      410,
      'and that it was taken down',
    );
  },
);
