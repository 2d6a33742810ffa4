import { randomBytes, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import express from 'express';
import type { Knex } from 'knex';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import test from 'tape';
import { createCreatorsPortalApp } from '../../src/app/creators-portal/index.ts';
import { titleFromFileName } from '../../src/app/creators-portal/upload-form.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import { FROM_THIS_SITE, logIn, seedAccount, type Account } from '../helpers/accounts.ts';
import { silentLogger } from '../helpers/databases.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;
const JSON_ACCEPT = { ...FROM_THIS_SITE, Accept: 'application/json' };
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2048)]);

async function loggedIn(system: TestSystem): Promise<{ agent: TestAgent; account: Account }> {
  const account = await seedAccount(system.db, { verified: true });
  const agent = request.agent(system.app);
  const answer = await logIn(agent, account.email, account.password);
  if (answer.status !== 303) throw new Error(`log-in failed: ${answer.status}`);
  return { agent, account };
}

async function uploadAction(agent: TestAgent): Promise<string> {
  const page = await agent.get('/creators-portal').expect(200);
  const action = /action="(\/creators-portal\/videos\?_csrf=[^"]+)"/.exec(page.text)?.[1];
  if (!action) throw new Error('no upload form on the portal');
  return action.replace(/&amp;/g, '&');
}

async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

const commands = (system: TestSystem) => system.messageStore.readCategory('videoPublishing:command');

async function seedVideo(db: Knex, ownerId: string, columns: Record<string, unknown> = {}): Promise<string> {
  const videoId = randomUUID();
  await db('creators_videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    status: 'uploaded',
    uploaded_at: new Date(),
    ...columns,
  });
  return videoId;
}

/** A converted video with its file in the store and the catalog's row, as the projections keep them. */
async function seedConverted(
  system: TestSystem,
  ownerId: string,
  visibility = 'draft',
): Promise<{ videoId: string; file: Buffer }> {
  const videoId = randomUUID();
  const file = randomBytes(4096);
  const transcoded = await system.videoStore.put(videoKeys.transcoded(videoId), Readable.from([file]));
  const frames = [];
  for (const index of [0, 1, 2])
    frames.push(
      (await system.videoStore.put(videoKeys.posterCandidate(videoId, index), Readable.from([randomBytes(64)]))).uri,
    );
  await system.db('creators_videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    name: 'Knots',
    status: 'published',
    visibility,
    progress: 100,
    poster_uri: frames[0],
    poster_candidate_uris: JSON.stringify(frames),
    uploaded_at: new Date(),
  });
  await system.db('videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    status: 'published',
    visibility,
    transcoded_uri: transcoded.uri,
    published_at: new Date(),
  });
  return { videoId, file };
}

test('upload form: a title from the file name drops the folder and extension and reads underscores as spaces', (t) => {
  t.equal(titleFromFileName('intro_to__streams.mp4'), 'intro to streams');
  t.equal(titleFromFileName('C:\\Users\\ada\\My_Talk.final.MOV'), 'My Talk.final');
  t.equal(titleFromFileName('../../etc/passwd.mp4'), 'passwd');
  t.equal(titleFromFileName('.mp4'), '', 'nothing left: no title');
  t.equal(titleFromFileName('bad\u202Ename.mp4'), '', 'a name the rules refuse is not made a title');
  t.equal([...titleFromFileName(`${'x'.repeat(300)}.mp4`)].length, 200, 'cut to the longest title allowed');
  t.end();
});

test('creators portal upload: title, description and visibility come first; PublishVideo carries the visibility, NameVideo and DescribeVideo follow on the same trace', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const form = await agent.get('/creators-portal').expect(200);
  const order = ['name="title"', 'name="description"', 'name="visibility"', 'type="file"'].map((field) =>
    form.text.indexOf(field),
  );
  t.ok(
    order.every((at, index) => at > 0 && (index === 0 || at > order[index - 1]!)),
    'the text fields come before the file in the form',
  );
  t.match(form.text, /value="draft" checked/, 'draft is chosen unless the creator chooses otherwise');
  t.match(form.text, /Only you can watch it/, 'each visibility said in plain words');

  const posted = await agent
    .post(await uploadAction(agent))
    .set(FROM_THIS_SITE)
    .field('title', '  Tying knots  ')
    .field('description', 'Three knots.\r\nAnd a hitch.')
    .field('visibility', 'unlisted')
    .attach('video', randomBytes(2048), 'whatever_file.mp4');
  t.equal(posted.status, 303, 'to the operation page');
  const written = await commands(system);
  const videoId = (written[0]?.data as { videoId: string }).videoId;
  t.deepEqual(
    written.map((command) => [command.type, command.data]),
    [
      [
        'PublishVideo',
        { ownerId: account.userId, videoId, sourceUri: uriOfKey(videoKeys.source(videoId)), visibility: 'unlisted' },
      ],
      ['NameVideo', { videoId, name: 'Tying knots' }],
      ['DescribeVideo', { videoId, description: 'Three knots.\nAnd a hitch.' }],
    ],
    'the typed title wins over the file name; text as the rules keep it',
  );
  t.equal(new Set(written.map((command) => command.metadata.traceId)).size, 1, 'one trace: one action');
});

test('creators portal upload: a refused title, description or visibility → 400 with what was typed kept, nothing stored, nothing written', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent } = await loggedIn(system);
  const action = await uploadAction(agent);
  const refused = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .field('title', 'Knots \u202Edaer')
    .field('description', 'Kept as typed')
    .field('visibility', 'public')
    .attach('video', randomBytes(300 * 1024), 'knots.mp4');
  t.equal(refused.status, 400, 'a title with a right-to-left override → 400');
  t.match(refused.text, /invisible characters/, 'saying why, beside the field');
  t.ok(refused.text.includes('value="Knots \u202Edaer"'), 'the title as typed, to fix');
  t.match(refused.text, />Kept as typed</, 'the description too');
  t.match(refused.text, /value="public" checked/, 'and the visibility chosen');
  t.match(refused.text, /role="alert"/, 'announced');

  const longDescription = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .field('title', 'Fine')
    .field('description', 'y'.repeat(5_001))
    .attach('video', randomBytes(1024), 'knots.mp4');
  t.equal(longDescription.status, 400, 'a description over 5,000 characters → 400');
  t.match(longDescription.text, /at most 5,000 characters/);
  const oddVisibility = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .field('visibility', 'everyone')
    .attach('video', randomBytes(1024), 'knots.mp4');
  t.equal(oddVisibility.status, 400, 'a visibility that does not exist → 400');
  // A client that sends the title after the file: checked once all is read, and the file dropped.
  const late = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .attach('video', randomBytes(1024), 'knots.mp4')
    .field('title', 'Two\nlines');
  t.equal(late.status, 400, 'a title sent after the file → 400 all the same');

  t.equal((await commands(system)).length, 0, 'nothing written');
  t.deepEqual(await filesIn(system.videoDir), [], 'nothing stored');
});

test("creators portal manage page: the creator's own draft plays through an owner-checked file route; its status, visibility and forms are there", async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const { videoId, file } = await seedConverted(system, account.userId, 'draft');
  const page = await agent.get(`/creators-portal/videos/${videoId}`).expect(200);
  t.match(
    page.text,
    new RegExp(`<video[^>]*src="/creators-portal/videos/${videoId}/video.mp4"`),
    'a player for the draft',
  );
  t.match(page.text, /Ready · Draft/, 'the status in words');
  t.match(page.text, /name="visibility" value="draft" checked/, 'the visibility chosen');
  t.doesNotMatch(page.text, /Unpublish/, 'no irreversible unpublish');
  t.match(page.text, /data-instant="name"/, 'the title form posts in the background with a script');
  t.match(page.text, /<input id="name"[^>]*required/, 'and refuses a blank title before it is sent');
  t.match(
    page.text,
    /<script type="module" src="\/public\/js\/creator-video.js">/,
    'the script is a file of the site (no inline script)',
  );
  t.doesNotMatch(page.text, /<script>/);
  t.match(
    page.text,
    new RegExp(`src="/creators-portal/videos/${videoId}/frames/2.jpg"`),
    'the frames to pick a poster from',
  );
  t.match(page.text, /<dialog[^>]*id="delete-dialog"/, 'a delete dialog');
  t.match(
    page.text,
    new RegExp(`href="/creators-portal/videos/${videoId}/delete" data-confirm-dialog="delete-dialog"`),
    'opened by a link to the confirmation page',
  );

  const played = await agent
    .get(`/creators-portal/videos/${videoId}/video.mp4`)
    .buffer(true)
    .parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
  t.equal(played.status, 200, 'the file is served to its creator');
  t.ok((played.body as Buffer).equals(file), 'byte for byte');
  t.equal(
    (await agent.get(`/creators-portal/videos/${videoId}/video.mp4`).set('Range', 'bytes=0-9')).status,
    206,
    'with ranges, for seeking',
  );
  t.equal((await agent.get(`/creators-portal/videos/${videoId}/frames/1.jpg`)).status, 200, 'a frame');
  t.equal(
    (await agent.get(`/creators-portal/videos/${videoId}/frames/7.jpg`)).status,
    404,
    'a frame that is not there → 404',
  );

  const stranger = await loggedIn(system);
  for (const url of ['', '/video.mp4', '/frames/0.jpg', '/delete'])
    t.equal(
      (await stranger.agent.get(`/creators-portal/videos/${videoId}${url}`)).status,
      404,
      `another creator: ${url || 'the page'} → 404`,
    );
  for (const url of ['', '/video.mp4', '/delete']) {
    const anonymous = await request(system.app).get(`/creators-portal/videos/${videoId}${url}`);
    t.equal(anonymous.status, 404, `anonymous: ${url || 'the page'} → 404`);
  }
  const anonymousDelete = await request(system.app)
    .post(`/creators-portal/videos/${videoId}/delete`)
    .set(FROM_THIS_SITE);
  t.equal(anonymousDelete.status, 404, 'anonymous delete → 404');

  const failed = await seedVideo(system.db, account.userId, {
    status: 'failed',
    failure_reason: 'The file has no video in it.',
    failed_at: new Date(),
  });
  const failedPage = await agent.get(`/creators-portal/videos/${failed}`).expect(200);
  t.match(failedPage.text, /Could not be converted/, 'a failed upload says so');
  t.match(failedPage.text, /The file has no video in it\./, 'with its reason');
  t.match(failedPage.text, /href="\/creators-portal#upload">Try another file/, 'and a way to try another file');
  t.doesNotMatch(failedPage.text, /<video/, 'no player');
  t.doesNotMatch(
    failedPage.text,
    /Save the title|Save the description/,
    'nor forms that would change nothing anyone sees',
  );
});

test('creators portal: edits in the background — 202 with an operation to follow, a JSON status until decided; 400, 404 and 429 as JSON; nothing written when refused', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const { videoId } = await seedConverted(system, account.userId, 'draft');
  const _csrf = csrfTokenOf(await agent.get(`/creators-portal/videos/${videoId}`).expect(200));
  const post = (what: string, fields: Record<string, string>) =>
    agent
      .post(`/creators-portal/videos/${videoId}/${what}`)
      .set(JSON_ACCEPT)
      .type('form')
      .send({ _csrf, ...fields });

  const accepted = await post('visibility', { visibility: 'public' });
  t.equal(accepted.status, 202, 'accepted');
  const { operation, statusUrl } = accepted.body as { operation: string; statusUrl: string };
  t.equal(statusUrl, `/creators-portal/operations/${operation}/status?kind=visibility`, 'with where to ask');
  const [command] = await commands(system);
  t.deepEqual(
    [command?.type, command?.data, command?.metadata.traceId],
    ['SetVideoVisibility', { videoId, visibility: 'public' }, operation],
    'the command, on the trace',
  );

  const pending = await agent.get(statusUrl).expect(200);
  t.deepEqual(
    pending.body,
    { state: 'pending', message: 'Saving…' },
    'pending before the operation is recorded (the session knows it)',
  );
  t.equal(pending.headers['cache-control'], 'no-store', 'never cached');
  await system.db('video_operations').insert({
    trace_id: operation,
    video_id: videoId,
    user_id: account.userId,
    kind: 'visibility',
    status: 'done',
    updated_at: new Date(),
  });
  t.deepEqual(
    (await agent.get(statusUrl).expect(200)).body,
    { state: 'done', message: 'Saved: who can watch it has changed.' },
    'then done',
  );

  const renamed = await post('name', { name: 'Better' });
  const renameTrace = (renamed.body as { operation: string }).operation;
  await system.db('video_operations').insert({
    trace_id: renameTrace,
    video_id: videoId,
    user_id: account.userId,
    kind: 'name',
    status: 'failed',
    reason: 'the video already has that name',
    updated_at: new Date(),
  });
  t.deepEqual(
    (await agent.get((renamed.body as { statusUrl: string }).statusUrl).expect(200)).body,
    { state: 'failed', message: 'The video already has that name.' },
    'a refusal, as a sentence',
  );
  const stranger = await loggedIn(system);
  t.equal((await stranger.agent.get(statusUrl)).status, 404, "another user's status → 404");
  t.equal(
    (await agent.get(`/creators-portal/operations/${operation}/status?kind=delete`)).status,
    404,
    'a kind this action did not send → 404',
  );

  const blank = await post('name', { name: '   ' });
  t.equal(blank.status, 400, 'a blank title → 400');
  t.deepEqual(blank.body, { error: 'A name cannot be blank.', field: 'name' }, 'as JSON');
  t.equal((await post('visibility', { visibility: 'secret' })).status, 400, 'an unknown visibility → 400');
  t.equal((await post('poster', { candidate: '3' })).status, 400, 'a frame that is not offered → 400');
  t.equal(
    (
      await stranger.agent
        .post(`/creators-portal/videos/${videoId}/name`)
        .set(JSON_ACCEPT)
        .type('form')
        .send({ _csrf, name: 'Mine' })
    ).status,
    403,
    "another's post without their own token → 403",
  );
  t.equal((await commands(system)).length, 2, 'the refused posts wrote nothing');

  const waiting = express();
  const portal = createCreatorsPortalApp({
    db: system.db,
    messageStore: system.messageStore,
    videoStore: system.videoStore,
    maxUploadBytes: 1024,
    minimumUploadRate: { bytesPerSecond: 1, windowMs: 60_000 },
    editWait: async () => 42,
    maxVideosInHand: 4,
    emailVerified: async () => true,
  });
  waiting.set('views', [COMMON_VIEWS_DIR, portal.viewsDir]);
  waiting.set('view engine', 'pug');
  waiting.locals.basedir = COMMON_VIEWS_DIR;
  waiting.use(express.urlencoded({ extended: false }));
  waiting.use((req, _res, next) => {
    req.context = { traceId: randomUUID(), userId: account.userId };
    req.session = {};
    next();
  });
  waiting.use('/creators-portal', portal.router);
  waiting.use(errorHandler({ logger: silentLogger }));
  const limited = await request(waiting)
    .post(`/creators-portal/videos/${videoId}/description`)
    .set('Accept', 'application/json')
    .type('form')
    .send({ description: 'New' });
  t.equal(limited.status, 429, 'over the allowance → 429');
  t.equal(limited.headers['retry-after'], '42', 'with Retry-After');
  t.match((limited.body as { error: string }).error, /Try again in/, 'and when, as JSON');
  const limitedPage = await request(waiting)
    .post(`/creators-portal/videos/${videoId}/description`)
    .type('form')
    .send({ description: 'Kept text' });
  t.equal(limitedPage.status, 429, 'without a script: 429 too');
  t.match(limitedPage.text, />Kept text</, 'with what was typed kept');
  t.equal((await commands(system)).length, 2, 'nothing written');
});

test('creators portal delete: a confirmation page without a script, then DeleteVideo; a deleted video and an old failed upload leave the list', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const { videoId } = await seedConverted(system, account.userId, 'public');
  const confirm = await agent.get(`/creators-portal/videos/${videoId}/delete`).expect(200);
  t.match(confirm.text, /Delete “Knots”\?/, 'the confirmation names the video');
  t.match(
    confirm.text,
    new RegExp(`<form method="post" action="/creators-portal/videos/${videoId}/delete">`),
    'and posts the delete',
  );
  t.equal((await commands(system)).length, 0, 'asking writes nothing');
  const deleted = await agent
    .post(`/creators-portal/videos/${videoId}/delete`)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf(confirm) });
  t.equal(deleted.status, 303, 'to the operation page');
  const [command] = await commands(system);
  t.deepEqual([command?.type, command?.data], ['DeleteVideo', { videoId }], 'DeleteVideo for the video');

  const trace = /operations\/(.+)$/.exec(deleted.headers.location ?? '')?.[1] ?? '';
  await system.db('video_operations').insert({
    trace_id: trace,
    video_id: videoId,
    user_id: account.userId,
    kind: 'delete',
    status: 'done',
    updated_at: new Date(),
  });
  await system.db('creators_videos').where({ video_id: videoId }).update({ status: 'deleted', name: null });
  const done = await agent.get(deleted.headers.location!);
  t.equal(done.headers.location, '/creators-portal', 'once deleted, back to the list');
  t.equal((await agent.get(`/creators-portal/videos/${videoId}`)).status, 404, 'its page → 404');

  const week = 7 * 24 * 60 * 60 * 1000;
  await seedVideo(system.db, account.userId, {
    name: 'Failed long ago',
    status: 'failed',
    failed_at: new Date(Date.now() - week - 60_000),
  });
  await seedVideo(system.db, account.userId, {
    name: 'Failed yesterday',
    status: 'failed',
    failed_at: new Date(Date.now() - week / 7),
  });
  await seedVideo(system.db, account.userId, { name: 'Unlisted one', status: 'published', visibility: 'unlisted' });
  const list = await agent.get('/creators-portal').expect(200);
  t.doesNotMatch(list.text, /Failed long ago/, 'a failed upload older than 7 days is left out');
  t.match(list.text, /Failed yesterday/, 'a recent one is listed');
  t.match(list.text, /Unlisted<\/strong>: Anyone with its link/, 'each video says who can watch it');
  t.doesNotMatch(list.text, new RegExp(videoId), 'the deleted video is gone');
});

test('creators portal poster: pick a frame (ChooseVideoPoster) or upload a JPEG/PNG/WebP up to 5 MB (UploadVideoPoster); anything else is refused with nothing kept', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const { videoId } = await seedConverted(system, account.userId);
  const page = await agent.get(`/creators-portal/videos/${videoId}`).expect(200);
  const _csrf = csrfTokenOf(page);
  const imageAction = /action="([^"]+\/poster-image\?_csrf=[^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&') ?? '';
  t.ok(imageAction, 'a picture form');

  t.equal(
    (
      await agent
        .post(`/creators-portal/videos/${videoId}/poster`)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf, candidate: '2' })
    ).status,
    303,
    'a frame picked',
  );
  const before = await filesIn(system.videoDir);
  t.equal(
    (await agent.post(imageAction).set(FROM_THIS_SITE).attach('image', Buffer.from('<svg onload=alert(1)>'), 'x.png'))
      .status,
    415,
    'not an image (whatever its name) → 415',
  );
  const huge = Buffer.concat([PNG, Buffer.alloc(5 * 1024 * 1024)]);
  const tooBig = await agent.post(imageAction).set(FROM_THIS_SITE).attach('image', huge, 'big.png');
  t.equal(tooBig.status, 413, 'over 5 MB → 413');
  t.match(tooBig.text, /larger than 5 MB/, 'saying so');
  t.equal((await agent.post(imageAction).set(FROM_THIS_SITE).field('x', 'y')).status, 400, 'no picture → 400');
  t.deepEqual(await filesIn(system.videoDir), before, 'nothing kept of the refused ones');

  t.equal(
    (await agent.post(imageAction).set(FROM_THIS_SITE).attach('image', PNG, 'mine.png')).status,
    303,
    'a PNG → taken',
  );
  const written = await commands(system);
  t.deepEqual(written[0]?.data, { videoId, candidate: 2 }, 'ChooseVideoPoster with the index');
  const upload = written[1];
  t.equal(upload?.type, 'UploadVideoPoster', 'then UploadVideoPoster');
  const imageUri = (upload?.data as { imageUri: string }).imageUri;
  t.match(
    imageUri,
    new RegExp(`^video-store:poster-uploads/${videoId}/[0-9a-f-]{36}$`),
    'stored at the poster-upload key, named by a new id',
  );
  t.equal(written.length, 2, 'nothing else written');
  const stranger = await loggedIn(system);
  t.equal(
    (await stranger.agent.post(imageAction).set(FROM_THIS_SITE).attach('image', PNG, 'x.png')).status,
    403,
    "another's form → refused",
  );
});
