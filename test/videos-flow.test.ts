import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { FROM_THIS_SITE, logIn, seedAccount } from './helpers/accounts.ts';
import { createTestSystem } from './helpers/test-system.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { makeVideo, tempDir } from './fixtures/video-sources.ts';
import { scopedTest } from './helpers/scoped-test.ts';

/** Logs a new creator in and finds the upload form's action (its CSRF token rides in the query). */
async function creator(system: Awaited<ReturnType<typeof createTestSystem>>) {
  const account = await seedAccount(system.db, { verified: true });
  const agent = request.agent(system.app);
  await logIn(agent, account.email, account.password);
  const portal = await agent.get('/creators-portal').expect(200);
  const action = /action="(\/creators-portal\/videos\?_csrf=[^"]+)"/.exec(portal.text)?.[1];
  if (!action) throw new Error('no upload form');
  return { agent, action: action.replaceAll('&amp;', '&') };
}

/** Follows an operation page until it is no longer pending; returns the last answer. */
function settled(agent: ReturnType<typeof request.agent>, operation: string) {
  return waitUntil(
    `${operation} to settle`,
    async () => {
      const page = await agent.get(operation);
      return page.status === 200 && /http-equiv="refresh"/.test(page.text) ? undefined : page;
    },
    { timeoutMs: 60_000 },
  );
}

scopedTest(
  'videos: a real video uploaded over HTTP is transcoded and published, and its MP4 is served by byte range',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    const { agent, action } = await creator(system);
    const file = await makeVideo(await tempDir(scope, 'flow-'), { width: 320, height: 240, seconds: 1 });
    const posted = await agent
      .post(action)
      .set(FROM_THIS_SITE)
      .field('visibility', 'public')
      .attach('video', await readFile(file), { filename: 'lesson.mp4', contentType: 'video/mp4' });
    t.equal(posted.status, 303, 'the upload is accepted');

    const done = await settled(agent, posted.headers.location!);
    const videoId = /^\/creators-portal\/videos\/([0-9a-f-]{36})$/.exec(done.headers.location ?? '')?.[1];
    t.ok(videoId, "the operation ends at the video's page in the portal");
    const watch = `/videos/${videoId}`;
    const page = await waitUntil('the watch page', async () => {
      const answer = await request(system.app).get(watch!);
      return answer.status === 200 ? answer : undefined;
    });
    t.match(page.text, /<video[^>]+controls/, 'with a player');

    const range = await request(system.app)
      .get(`${watch}/video.mp4`)
      .set('Range', 'bytes=0-4095')
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    t.equal(range.status, 206, 'a byte range of the transcoded file: 206');
    t.equal(range.headers['content-type'], 'video/mp4', 'as video/mp4');
    t.match(String(range.headers['content-range']), /^bytes 0-4095\/\d+$/, 'saying which bytes of how many');
    const head = (range.body as Buffer).toString('latin1');
    t.equal(head.slice(4, 8), 'ftyp', 'MP4 bytes: an ftyp box first');
    const moov = head.indexOf('moov');
    const mdat = head.indexOf('mdat');
    t.ok(
      moov > 0 && (mdat === -1 || moov < mdat),
      'the index (moov) before the media (mdat): +faststart, so playback starts before the download ends',
    );
  },
);

scopedTest('videos: a text file uploaded as a video fails, and the operation page says why', async (t, scope) => {
  const system = scope.add(await createTestSystem(), (s) => s.stop());
  system.start();
  const { agent, action } = await creator(system);
  const posted = await agent
    .post(action)
    .set(FROM_THIS_SITE)
    .attach('video', Buffer.from('These are my lecture notes, not a video.\n'.repeat(50)), {
      filename: 'notes.mp4',
      contentType: 'video/mp4',
    });
  t.equal(posted.status, 303, 'the upload itself is accepted');
  const failed = await settled(agent, posted.headers.location!);
  t.equal(failed.status, 200, 'the operation page answers');
  t.match(
    failed.text,
    /not a video|could not be read|no video/i,
    `the reason is shown: ${/<p[^>]*form-error[^>]*>([^<]+)/.exec(failed.text)?.[1] ?? '(see page)'}`,
  );
  t.match(failed.text, /href="\/creators-portal"/, 'with a way back');
});
