import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import express from 'express';
import type { Knex } from 'knex';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import test from 'tape';
import { createCreatorsPortalApp } from '../../src/app/creators-portal/index.ts';
import { createUploadSlots } from '../../src/app/creators-portal/upload-slots.ts';
import { videoPublishingCommandSchemas } from '../../src/contracts/video-publishing.ts';
import { COMMON_VIEWS_DIR } from '../../src/web/create-app.ts';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { keyOfUri, uriOfKey, videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import { PARTIAL_DIR } from '../../src/video-store/partials.ts';
import { FROM_THIS_SITE, logIn, seedAccount, type Account } from '../helpers/accounts.ts';
import { silentLogger } from '../helpers/databases.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMMANDS = 'videoPublishing:command';

async function loggedIn(system: TestSystem): Promise<{ agent: TestAgent; account: Account; cookie: string }> {
  const account = await seedAccount(system.db, { verified: true });
  const agent = request.agent(system.app);
  const answer = await logIn(agent, account.email, account.password);
  if (answer.status !== 303) throw new Error(`log-in failed: ${answer.status}`);
  const cookie = ([] as string[])
    .concat(answer.headers['set-cookie'] ?? [])
    .map((value) => value.split(';')[0])
    .join('; ');
  return { agent, account, cookie };
}

/** The upload form's action, with the CSRF token it carries in its query string. */
async function uploadAction(agent: TestAgent): Promise<string> {
  const page = await agent.get('/creators-portal').expect(200);
  const action = /action="(\/creators-portal\/videos\?_csrf=[^"]+)"/.exec(page.text)?.[1];
  if (!action) throw new Error('no upload form on the portal');
  return action;
}

/** Every file under the store's directory (partial writes included). */
async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

const commands = (system: TestSystem) => system.messageStore.readCategory(COMMANDS);
const publishCommands = async (system: TestSystem) =>
  (await commands(system)).filter((command) => command.type === 'PublishVideo');

/** The portal alone on an Express app, as a logged-in creator sees it, with some of its parts replaced. */
function portalAlone(
  system: TestSystem,
  parts: Partial<Parameters<typeof createCreatorsPortalApp>[0]>,
  userId?: string,
): express.Express {
  const portal = createCreatorsPortalApp({
    db: system.db,
    messageStore: system.messageStore,
    videoStore: system.videoStore,
    maxUploadBytes: 1024 * 1024,
    minimumUploadRate: { bytesPerSecond: 1, windowMs: 60_000 },
    editWait: async () => 0,
    maxVideosInHand: 4,
    // A creator whose address is confirmed: the upload gate has its own tests (account-email.test.ts).
    emailVerified: async () => true,
    ...parts,
  });
  const app = express();
  app.set('views', [COMMON_VIEWS_DIR, portal.viewsDir]);
  app.set('view engine', 'pug');
  app.locals.basedir = COMMON_VIEWS_DIR;
  app.use((req, _res, next) => {
    req.context = { traceId: randomUUID(), userId: userId ?? randomUUID() };
    next();
  });
  app.use('/creators-portal', portal.router);
  app.use(errorHandler({ logger: silentLogger }));
  return app;
}

interface SeededVideo {
  readonly videoId: string;
  readonly ownerId: string;
}

/** A row as the creators-videos aggregator keeps it. */
async function seedCreatorVideo(
  db: Knex,
  ownerId: string,
  columns: Record<string, unknown> = {},
): Promise<SeededVideo> {
  const videoId = randomUUID();
  await db('creators_videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    status: 'uploaded',
    uploaded_at: new Date(),
    ...columns,
  });
  return { videoId, ownerId };
}

async function seedOperation(
  db: Knex,
  columns: { videoId: string; userId: string; kind: string; status: string; reason?: string },
): Promise<string> {
  const traceId = randomUUID();
  await db('video_operations').insert({
    trace_id: traceId,
    video_id: columns.videoId,
    user_id: columns.userId,
    kind: columns.kind,
    status: columns.status,
    reason: columns.reason ?? null,
    updated_at: new Date(),
  });
  return traceId;
}

/**
 * Posts a multipart form in chunks without a Content-Length (as a proxy or a streaming client
 * may), so only the streamed byte count can tell the file is too big.
 */
async function postChunked(
  system: TestSystem,
  cookie: string,
  action: string,
  fileBytes: number,
  { abort = false } = {},
): Promise<number> {
  const server = http.createServer(system.app).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const boundary = `----test${randomUUID()}`;
    const { port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          path: action,
          method: 'POST',
          headers: { ...FROM_THIS_SITE, cookie, 'content-type': `multipart/form-data; boundary=${boundary}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error) => (abort ? resolve(0) : reject(error)));
      req.write(
        `--${boundary}\r\nContent-Disposition: form-data; name="video"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
      );
      const chunk = randomBytes(256 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < fileBytes) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', more);
        }
        // A browser closed mid-upload: the connection goes, the form never ends.
        if (abort) setTimeout(() => req.destroy(), 200);
        else req.end(`\r\n--${boundary}--\r\n`);
      };
      more();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('creators portal: an upload is streamed to the store, PublishVideo is written with who and which action, and the browser goes to the operation page', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const file = randomBytes(300 * 1024);
  const posted = await agent
    .post(await uploadAction(agent))
    .set(FROM_THIS_SITE)
    .attach('video', file, { filename: '../../etc/passwd.mp4', contentType: 'video/mp4' });
  t.equal(posted.status, 303, 'post/redirect/get');
  const traceId = /^\/creators-portal\/operations\/(.+)$/.exec(posted.headers.location ?? '')?.[1] ?? '';
  t.match(traceId, UUID, 'to the operation page of this action');

  const written = await commands(system);
  t.deepEqual(
    written.map((each) => each.type),
    ['PublishVideo', 'NameVideo'],
    'PublishVideo, then NameVideo with a title from the file name (no title was typed)',
  );
  const [command, named] = written;
  t.equal(command?.type, 'PublishVideo');
  t.deepEqual(
    named?.data,
    { videoId: (command?.data as { videoId: string }).videoId, name: 'passwd' },
    'the file name without its folder or extension',
  );
  t.equal(named?.metadata.traceId, traceId, 'on the same trace: one action');
  const data = videoPublishingCommandSchemas.PublishVideo.parse(command?.data);
  t.equal(data.ownerId, account.userId, 'owned by the uploader');
  t.equal(command?.streamName, `videoPublishing:command-${data.videoId}`, "in the video's command stream");
  t.equal(
    data.sourceUri,
    uriOfKey(videoKeys.source(data.videoId)),
    'the file is named by the video id, not by the upload',
  );
  t.equal(data.visibility, 'draft', 'a draft unless the creator chose otherwise');
  t.deepEqual(
    command?.metadata,
    { traceId, userId: account.userId, schemaVersion: '1' },
    'metadata carries the trace and the user',
  );

  const stored = await system.videoStore.open(data.sourceUri);
  const chunks: Buffer[] = [];
  for await (const chunk of stored.stream) chunks.push(chunk as Buffer);
  t.ok(Buffer.concat(chunks).equals(file), 'the stored file is the uploaded one, byte for byte');
  t.deepEqual(await filesIn(system.videoDir), [keyOfUri(data.sourceUri)], 'and nothing else is on disk');

  const pending = await agent.get(posted.headers.location!).expect(200);
  t.match(
    pending.text,
    /<meta http-equiv="refresh" content="2">/,
    'before any subscriber has seen it, the page says pending and refreshes',
  );
  t.match(pending.text, /Uploading your video/, 'and what is pending');
  const someoneElse = await loggedIn(system);
  t.equal(
    (await someoneElse.agent.get(posted.headers.location!)).status,
    404,
    'another user gets 404 for it, even before it is recorded',
  );
  t.doesNotMatch(pending.text, /<script>/, 'with no inline script');
});

test('creators portal: a file over MAX_UPLOAD_BYTES → 413, nothing written, nothing left on disk', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, cookie } = await loggedIn(system);
  const action = await uploadAction(agent);
  const tooBig = 5 * 1024 * 1024 + 1;

  const declared = await agent.post(action).set(FROM_THIS_SITE).attach('video', Buffer.alloc(tooBig, 1), 'big.mp4');
  t.equal(declared.status, 413, 'refused (with a Content-Length)');
  t.match(declared.text, /larger than the 5 MB/, 'with a page that says why');

  t.equal(
    await postChunked(system, cookie, action, 6 * 1024 * 1024),
    413,
    'refused when streamed without a length, once past the limit',
  );

  const justRight = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .attach('video', Buffer.alloc(5 * 1024 * 1024, 2), 'fits.mp4');
  t.equal(justRight.status, 303, 'a file of exactly the limit is taken');
  t.equal((await publishCommands(system)).length, 1, 'only the one that fits was written');
  t.equal((await filesIn(system.videoDir)).length, 1, 'and only its file is on disk');
});

test('creators portal: an upload cut off half-way keeps nothing and writes nothing', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, cookie } = await loggedIn(system);
  await postChunked(system, cookie, await uploadAction(agent), 1024 * 1024, { abort: true });
  t.ok(existsSync(path.join(system.videoDir, PARTIAL_DIR)), 'the upload had begun to be stored');
  await waitUntil('the partial file to be dropped', async () => (await filesIn(system.videoDir)).length === 0);
  t.pass('no file is left on disk');
  t.equal((await commands(system)).length, 0, 'nothing written');
});

test('creators portal: refused uploads write nothing and keep nothing (no CSRF token, no file, an empty file, not multipart, anonymous)', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent } = await loggedIn(system);
  const action = await uploadAction(agent);
  const bytes = randomBytes(1024);

  t.equal(
    (await agent.post('/creators-portal/videos').set(FROM_THIS_SITE).attach('video', bytes, 'a.mp4')).status,
    403,
    'no token → 403',
  );
  t.equal(
    (await agent.post('/creators-portal/videos?_csrf=forged').set(FROM_THIS_SITE).attach('video', bytes, 'a.mp4'))
      .status,
    403,
    'a forged token → 403',
  );
  t.equal(
    (await agent.post(action).set('Sec-Fetch-Site', 'cross-site').attach('video', bytes, 'a.mp4')).status,
    403,
    'the right token from another site → 403',
  );
  const noFile = await agent.post(action).set(FROM_THIS_SITE).field('title', 'x');
  t.equal(noFile.status, 400, 'no file → 400');
  t.match(noFile.text, /Choose a video file/);
  t.equal(
    (await agent.post(action).set(FROM_THIS_SITE).attach('video', Buffer.alloc(0), 'empty.mp4')).status,
    400,
    'an empty file → 400',
  );
  t.equal(
    (await agent.post(action).set(FROM_THIS_SITE).attach('other', bytes, 'a.mp4')).status,
    400,
    'a file under another field name → 400',
  );
  t.equal(
    (
      await agent
        .post(action)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: new URLSearchParams(action.split('?')[1]).get('_csrf'), video: 'text' })
    ).status,
    400,
    'not multipart → 400',
  );

  const anonymous = await request(system.app)
    .post('/creators-portal/videos')
    .set(FROM_THIS_SITE)
    .attach('video', bytes, 'a.mp4');
  t.equal(anonymous.status, 404, 'anonymous → 404, as for a stranger to any video');
  const page = await request(system.app).get('/creators-portal');
  t.equal(page.headers.location, '/auth/log-in?returnTo=%2Fcreators-portal', 'the portal too, and back after');

  t.equal((await commands(system)).length, 0, 'nothing written');
  t.deepEqual(await filesIn(system.videoDir), [], 'nothing on disk');
});

test("creators portal: the list shows the creator's own videos, newest first, with status, progress, reason, duration and views", async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const other = await seedAccount(system.db);
  const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, minutes));
  const published = await seedCreatorVideo(system.db, account.userId, {
    name: 'Event sourcing 101',
    description: 'The basics',
    status: 'published',
    progress: 100,
    duration_seconds: 125,
    uploaded_at: at(1),
  });
  await system.db('videos').insert({
    video_id: published.videoId,
    owner_id: account.userId,
    status: 'published',
    views: 42,
    published_at: at(2),
  });
  await seedCreatorVideo(system.db, account.userId, { status: 'transcoding', progress: 40, uploaded_at: at(3) });
  // Failed just now: an upload that failed over 7 days ago leaves the list.
  await seedCreatorVideo(system.db, account.userId, {
    status: 'failed',
    failure_reason: 'The file has no video in it.',
    uploaded_at: at(4),
    failed_at: new Date(),
  });
  await seedCreatorVideo(system.db, other.userId, { name: 'Not yours', status: 'published', uploaded_at: at(5) });

  const page = await agent.get('/creators-portal').expect(200);
  t.doesNotMatch(page.text, /Not yours/, "another creator's videos are not listed");
  const failedAt = page.text.indexOf('The file has no video in it.');
  const transcodingAt = page.text.indexOf('video-status--transcoding');
  const publishedAt = page.text.indexOf('Event sourcing 101');
  t.ok(
    failedAt > 0 && failedAt < transcodingAt && transcodingAt < publishedAt,
    'newest first: failed (with its reason), transcoding, published',
  );
  t.match(page.text, /<progress[^>]*value="40"/, 'a progress bar at 40 %');
  t.match(page.text, /Untitled/, 'unnamed videos are "Untitled"');
  t.match(page.text, /2:05/, 'the duration');
  t.match(page.text, /42 views/, 'the views');
  t.match(page.text, new RegExp(`href="/videos/${published.videoId}"`), 'a published video links to its watch page');
});

test('creators portal: name, describe and visibility write one command each for the owner; three renames in a row → three NameVideo commands', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const video = await seedCreatorVideo(system.db, account.userId, { status: 'published' });
  const manage = await agent.get(`/creators-portal/videos/${video.videoId}`).expect(200);
  const _csrf = csrfTokenOf(manage);
  const post = (what: string, fields: Record<string, string>) =>
    agent
      .post(`/creators-portal/videos/${video.videoId}/${what}`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf, ...fields });

  const locations: string[] = [];
  for (const name of ['First', 'Second', 'Third']) {
    const answer = await post('name', { name });
    t.equal(answer.status, 303, `rename to ${name} → 303`);
    locations.push(answer.headers.location ?? '');
  }
  t.equal((await post('description', { description: 'Line one\nLine two' })).status, 303, 'describe → 303');
  t.equal((await post('visibility', { visibility: 'draft' })).status, 303, 'make it a draft → 303');

  const written = await commands(system);
  t.deepEqual(
    written.map((command) => [command.type, command.data]),
    [
      ['NameVideo', { videoId: video.videoId, name: 'First' }],
      ['NameVideo', { videoId: video.videoId, name: 'Second' }],
      ['NameVideo', { videoId: video.videoId, name: 'Third' }],
      ['DescribeVideo', { videoId: video.videoId, description: 'Line one\nLine two' }],
      ['SetVideoVisibility', { videoId: video.videoId, visibility: 'draft' }],
    ],
    'in order, in the video’s command stream',
  );
  t.ok(
    written.every((command) => command.streamName === `videoPublishing:command-${video.videoId}`),
    'one stream per video',
  );
  t.ok(
    written.every((command) => command.metadata.userId === account.userId),
    'each names its sender',
  );
  t.deepEqual(
    locations,
    written.slice(0, 3).map((command) => `/creators-portal/operations/${command.metadata.traceId}`),
    'each rename has its own operation page, by its trace id',
  );

  t.equal((await post('name', {}).send({ _csrf })).status, 400, 'a form without the field → 400');
  const tooLong = await post('name', { name: 'x'.repeat(20_000) });
  t.equal(
    tooLong.status,
    400,
    'a name longer than the rules allow → 400 (test/app/creators-portal-text.test.ts has the rest)',
  );
  t.match(tooLong.text, /at most 200 characters/, 'saying so');
  t.equal(
    (
      await agent
        .post(`/creators-portal/videos/${video.videoId}/name`)
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ name: 'No token' })
    ).status,
    403,
    'no CSRF token → 403',
  );
  t.equal((await commands(system)).length, 5, 'the refused posts wrote nothing');
});

test("creators portal: another creator gets 404 for every page and action on someone else's video, and nothing is written", async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const owner = await seedAccount(system.db);
  const video = await seedCreatorVideo(system.db, owner.userId, {
    name: 'Mine',
    status: 'published',
    poster_uri: uriOfKey(videoKeys.poster(randomUUID())),
  });
  const operation = await seedOperation(system.db, {
    videoId: video.videoId,
    userId: owner.userId,
    kind: 'name',
    status: 'pending',
  });
  const { agent } = await loggedIn(system);
  const _csrf = csrfTokenOf(await agent.get('/creators-portal').expect(200));
  const base = `/creators-portal/videos/${video.videoId}`;

  for (const [what, fields] of [
    ['name', { name: 'Hijacked' }],
    ['description', { description: 'Hijacked' }],
    ['visibility', { visibility: 'public' }],
    ['delete', {}],
    ['poster', { candidate: '0' }],
  ] as const) {
    const answer = await agent
      .post(`${base}/${what}`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf, ...fields });
    t.equal(answer.status, 404, `${what} → 404`);
    t.doesNotMatch(answer.text, /Mine/, 'saying nothing about the video');
  }
  t.equal((await agent.get(base)).status, 404, 'its page → 404');
  t.equal((await agent.get(`${base}/poster.jpg`)).status, 404, 'its poster → 404');
  t.equal((await agent.get(`${base}/video.mp4`)).status, 404, 'its file → 404');
  t.equal((await agent.get(`${base}/frames/0.jpg`)).status, 404, 'its frames → 404');
  t.equal((await agent.get(`${base}/delete`)).status, 404, 'its delete confirmation → 404');
  t.equal(
    (await agent.get(`/creators-portal/operations/${operation}`)).status,
    404,
    "the owner's operation page → 404",
  );
  t.equal((await agent.get(`/creators-portal/operations/${randomUUID()}`)).status, 404, 'an unknown operation → 404');
  t.equal((await agent.get('/creators-portal/operations/not-a-uuid')).status, 404, 'a malformed one → 404');
  t.equal((await agent.get('/creators-portal/videos/not-a-uuid')).status, 404, 'a malformed video id → 404');

  const anonymous = await request(system.app)
    .post(`${base}/name`)
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ name: 'Anonymous' });
  t.equal(anonymous.status, 404, "an anonymous visitor's action → 404, like a stranger's");
  t.equal(
    (await request(system.app).get(`/creators-portal/operations/${operation}`)).status,
    303,
    'a page sends them to log in',
  );

  t.equal((await commands(system)).length, 0, 'nothing written');
});

test('creators portal: the operation page follows an action — pending refreshes, failed says why with a way back, done goes on to the video', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const userId = account.userId;
  const video = await seedCreatorVideo(system.db, userId, { name: 'Clip', status: 'transcoding', progress: 30 });
  const page = (traceId: string) => agent.get(`/creators-portal/operations/${traceId}`);

  const publishing = await page(
    await seedOperation(system.db, { videoId: video.videoId, userId, kind: 'publish', status: 'pending' }),
  ).expect(200);
  t.match(publishing.text, /<meta http-equiv="refresh" content="2">/, 'pending: refreshes itself');
  t.match(publishing.text, /<progress[^>]*value="30"/, 'and shows the transcoding progress');

  const failedPublish = await page(
    await seedOperation(system.db, {
      videoId: video.videoId,
      userId,
      kind: 'publish',
      status: 'failed',
      reason: 'The file is not a video we can read.',
    }),
  ).expect(200);
  t.match(failedPublish.text, /The file is not a video we can read\./, 'failed: the reason');
  t.match(failedPublish.text, /href="\/creators-portal"/, 'and a way back');
  t.doesNotMatch(failedPublish.text, /http-equiv="refresh"/, 'no more refreshing');

  const failedName = await page(
    await seedOperation(system.db, {
      videoId: video.videoId,
      userId,
      kind: 'name',
      status: 'failed',
      reason: 'a name cannot be blank',
    }),
  ).expect(200);
  t.match(failedName.text, /The new title was not saved/, 'a rejected rename says so');
  t.match(failedName.text, /A name cannot be blank\./, 'with the reason as a sentence');
  t.match(
    failedName.text,
    new RegExp(`href="/creators-portal/videos/${video.videoId}"`),
    'and links back to the video',
  );

  const renamed = await page(
    await seedOperation(system.db, { videoId: video.videoId, userId, kind: 'name', status: 'done' }),
  );
  t.equal(renamed.status, 303, 'done: on to the video');
  t.equal(
    renamed.headers.location,
    `/creators-portal/videos/${video.videoId}`,
    "a rename goes to the video's page in the portal",
  );
  t.match((await agent.get(renamed.headers.location!)).text, /Title saved\./, 'which says it worked');

  const published = await seedOperation(system.db, { videoId: video.videoId, userId, kind: 'publish', status: 'done' });
  t.equal(
    (await page(published)).status,
    200,
    'a conversion that is done before the creator’s list has it still waits',
  );
  await system
    .db('creators_videos')
    .where({ video_id: video.videoId })
    .update({ status: 'published', visibility: 'draft' });
  const ready = await page(published);
  t.equal(ready.status, 303, 'then goes on');
  t.equal(
    ready.headers.location,
    `/creators-portal/videos/${video.videoId}`,
    'to its page in the portal, where the creator watches it (a draft has no public page)',
  );
});

test('upload slots: two at once per creator and a limit for the process; a slot comes back when an upload ends', (t) => {
  const slots = createUploadSlots({ perUser: 2, total: 3 });
  const first = slots.take('ada');
  t.ok(first && slots.take('ada'), 'a creator gets two');
  t.equal(slots.take('ada'), undefined, 'not a third');
  t.ok(slots.take('grace'), 'another creator still gets one');
  t.equal(slots.take('alan'), undefined, 'until the process is full');
  first!();
  first!();
  t.ok(slots.take('ada'), 'released (once, however often called): the creator may send again');
  t.end();
});

test('creators portal: with no upload slot free the answer is 429 with Retry-After, and nothing is kept or written', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const app = portalAlone(system, { uploadSlots: { take: () => undefined } });
  const answer = await request(app)
    .post('/creators-portal/videos')
    .attach('video', randomBytes(200 * 1024), { filename: 'v.mp4', contentType: 'video/mp4' });
  t.equal(answer.status, 429, 'too many uploads at once → 429');
  t.equal(answer.headers['retry-after'], '30', 'with Retry-After');
  t.match(answer.text, /uploads on their way/, 'saying why');
  t.equal((await commands(system)).length, 0, 'nothing written');
  t.deepEqual(await filesIn(system.videoDir), [], 'nothing kept');
});

test('creators portal: a quota of one video in hand is told as "1 video", not "1 videos"', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const userId = randomUUID();
  await seedCreatorVideo(system.db, userId, { status: 'transcoding' });
  const refused = await request(portalAlone(system, { maxVideosInHand: 1 }, userId))
    .post('/creators-portal/videos')
    .attach('video', randomBytes(1024), 'second.mp4');
  t.equal(refused.status, 429, 'one in hand, a quota of one: refused');
  t.match(
    refused.text,
    /You already have 1 video waiting to be converted, the most we take at once\./,
    'in the singular',
  );
});

test('creators portal: a creator with as many videos waiting and converting as the quota allows gets 429 for one more, with Retry-After; nothing is read, written or kept', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { agent, account } = await loggedIn(system);
  const action = await uploadAction(agent);
  // The default quota: one converting and three waiting.
  await seedCreatorVideo(system.db, account.userId, { status: 'transcoding' });
  for (let n = 0; n < 2; n += 1) await seedCreatorVideo(system.db, account.userId);
  await seedCreatorVideo(system.db, account.userId, { status: 'published' });
  await seedCreatorVideo(system.db, account.userId, { status: 'failed' });
  t.equal(
    (await agent.post(action).set(FROM_THIS_SITE).attach('video', randomBytes(1024), 'fourth.mp4')).status,
    303,
    'three in hand (finished ones do not count): a fourth is taken',
  );
  // As the creators-videos aggregator records it.
  await seedCreatorVideo(system.db, account.userId);
  const files = await filesIn(system.videoDir);

  const refused = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .attach('video', randomBytes(200 * 1024), 'fifth.mp4');
  t.equal(refused.status, 429, 'a fifth → 429');
  t.equal(refused.headers['retry-after'], '60', 'with Retry-After');
  t.match(
    refused.text,
    /You already have 4 videos waiting to be converted, the most we take at once\. Wait until one of them is published, then upload this one\./,
    'saying why and what to do',
  );
  t.equal((await publishCommands(system)).length, 1, 'no command for it');
  t.deepEqual(await filesIn(system.videoDir), files, 'and no file kept');
  const someoneElse = await loggedIn(system);
  t.equal(
    (
      await someoneElse.agent
        .post(await uploadAction(someoneElse.agent))
        .set(FROM_THIS_SITE)
        .attach('video', randomBytes(1024), 'v.mp4')
    ).status,
    303,
    'another creator still uploads',
  );
});

test('creators portal: a full or read-only video folder answers 503 with Retry-After and plain words, keeping nothing', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  for (const code of ['ENOSPC', 'EROFS']) {
    // The store takes part of the file, then the disk gives out.
    const failing: VideoStore = {
      ...system.videoStore,
      put(key, body, options) {
        let seen = 0;
        const disk = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            seen += chunk.length;
            done(
              seen > 64 * 1024 ? Object.assign(new Error(`${code}: the disk said no, write`), { code }) : null,
              chunk,
            );
          },
        });
        body.on('error', (error) => disk.destroy(error));
        return system.videoStore.put(key, body.pipe(disk), options);
      },
    };
    const app = portalAlone(system, { videoStore: failing });
    const answer = await request(app)
      .post('/creators-portal/videos')
      .attach('video', randomBytes(300 * 1024), { filename: 'v.mp4', contentType: 'video/mp4' });
    t.equal(answer.status, 503, `${code}: 503, not 500`);
    t.equal(answer.headers['retry-after'], '300', 'with Retry-After');
    t.match(
      answer.text,
      /We can(’|'|&#39;)t take uploads right now\. Please try again in a few minutes\./,
      'in plain words',
    );
    t.doesNotMatch(answer.text, new RegExp(`${code}|class="stack"`), 'with no error code or stack');
    t.equal((await commands(system)).length, 0, 'nothing written');
    t.deepEqual(await filesIn(system.videoDir), [], 'nothing kept');
  }
});
