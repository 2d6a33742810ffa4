import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import request from 'supertest';
import { videoKeys } from '../../src/video-store/index.ts';
import { FROM_THIS_SITE, logIn, seedAccount, type Account } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { FFMPEG, makeVideo, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

interface Published {
  readonly videoId: string;
  readonly video: Buffer;
  readonly poster: Buffer;
}

/** A tiny real video and poster in the store, and the catalog row the videos aggregator would keep for them. */
async function publishVideo(
  system: TestSystem,
  dir: string,
  columns: Record<string, unknown> = {},
): Promise<Published> {
  const videoId = randomUUID();
  const source = await makeVideo(dir, { seconds: 1 });
  const posterFile = path.join(dir, `${videoId}.jpg`);
  await promisify(execFile)(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-i',
    source,
    '-frames:v',
    '1',
    posterFile,
  ]);
  const transcoded = await system.videoStore.put(videoKeys.transcoded(videoId), createReadStream(source));
  const poster = await system.videoStore.put(videoKeys.poster(videoId), createReadStream(posterFile));
  await system.db('videos').insert({
    video_id: videoId,
    owner_id: randomUUID(),
    name: 'Keysets explained',
    description: 'Why OFFSET gets slow.\nAnd what to do.',
    status: 'published',
    transcoded_uri: transcoded.uri,
    poster_uri: poster.uri,
    duration_seconds: 61,
    width: 320,
    height: 240,
    views: 7,
    published_at: new Date(),
    ...columns,
  });
  return { videoId, video: await readFile(source), poster: await readFile(posterFile) };
}

async function withOwner(db: Knex, videoId: string, email: string): Promise<Account> {
  const owner = await seedAccount(db, { email });
  await db('videos').where({ video_id: videoId }).update({ owner_id: owner.userId });
  return owner;
}

scopedTest(
  'watch page: a player with the poster, name, description, creator and views; no inline script',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { videoId } = await publishVideo(system, await tempDir(scope));
    const owner = await withOwner(system.db, videoId, 'grace.hopper@example.com');
    const page = await request(system.app).get(`/videos/${videoId}`).expect(200);
    t.match(
      page.text,
      new RegExp(`<video[^>]*controls[^>]*poster="/videos/${videoId}/poster.jpg\\?v=[0-9a-z]+"`),
      'an HTML5 player with the poster',
    );
    t.match(page.text, new RegExp(`<source src="/videos/${videoId}/video.mp4" type="video/mp4">`), 'playing the MP4');
    t.match(page.text, /<h1[^>]*>Keysets explained<\/h1>/, 'the name');
    t.match(page.text, /Why OFFSET gets slow\.\nAnd what to do\./, 'the description');
    t.match(
      page.text,
      new RegExp(`<strong><bdi class="person">creator-${owner.userId.replaceAll('-', '').slice(0, 6)}</bdi></strong>`),
      'the creator without a profile yet: by a pseudonym from their id, unlinked',
    );
    t.doesNotMatch(page.text, /grace\.hopper/, 'nothing of their address');
    t.match(page.text, /7 views/, 'the views');
    t.match(page.text, /1:01/, 'the duration');
    t.match(
      page.text,
      /<script type="module" src="\/public\/js\/watch\.js"><\/script>/,
      'the viewing script is an external file',
    );
    t.doesNotMatch(page.text, /<script>/, 'and there is no inline script');
    t.match(page.headers['content-security-policy'] ?? '', /script-src 'self'/, 'the CSP stays strict');
    t.match(
      page.text,
      new RegExp(`<form[^>]* method="post" action="/record-viewing/${videoId}"`),
      'a plain button counts a viewing without JavaScript',
    );
    t.match(page.text, new RegExp(`name="returnTo" value="/videos/${videoId}"`), 'and comes back to this page');
    t.doesNotMatch(page.text, /Edit your video/, 'a visitor is not offered to edit it');
    const script = await request(system.app).get('/public/js/watch.js').expect(200);
    t.match(script.headers['content-type'] ?? '', /javascript/, 'the script is served');

    const creator = request.agent(system.app);
    await logIn(creator, owner.email, owner.password);
    t.match(
      (await creator.get(`/videos/${videoId}`)).text,
      new RegExp(`href="/creators-portal/videos/${videoId}">Edit your video`),
      'its creator is offered to edit it',
    );
  },
);

scopedTest(
  'watch page: unknown, unpublished (from before visibility) and malformed ids → 404, for the page and its files',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const dir = await tempDir(scope);
    const unpublished = await publishVideo(system, dir, { status: 'unpublished' });
    const notYet = await publishVideo(system, dir, { status: null, published_at: null });
    for (const [label, id] of [
      ['unknown', randomUUID()],
      ['unpublished', unpublished.videoId],
      ['not yet published', notYet.videoId],
      ['malformed', 'not-a-uuid'],
    ] as const) {
      for (const suffix of ['', '/video.mp4', '/poster.jpg', '/views']) {
        t.equal(
          (await request(system.app).get(`/videos/${id}${suffix}`)).status,
          404,
          `${label}: /videos/:id${suffix} → 404`,
        );
      }
    }
  },
);

scopedTest(
  'media: the video with HTTP Range (206, Content-Range, Accept-Ranges), the whole file (200), 416 outside it; the poster as image/jpeg',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { videoId, video, poster } = await publishVideo(system, await tempDir(scope));
    const url = `/videos/${videoId}/video.mp4`;
    const size = video.length;
    const get = (range?: string) => {
      const req = request(system.app)
        .get(url)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        });
      return range ? req.set('Range', range) : req;
    };

    const whole = await get();
    t.equal(whole.status, 200, 'a GET without Range → 200');
    t.equal(whole.headers['content-type'], 'video/mp4', 'Content-Type video/mp4');
    t.equal(whole.headers['accept-ranges'], 'bytes', 'Accept-Ranges: bytes');
    t.equal(Number(whole.headers['content-length']), size, 'the whole length');
    t.ok((whole.body as Buffer).equals(video), 'the whole file');

    const first = await get('bytes=0-99');
    t.equal(first.status, 206, 'a range → 206');
    t.equal(first.headers['content-range'], `bytes 0-99/${size}`, 'Content-Range');
    t.equal(Number(first.headers['content-length']), 100);
    t.ok((first.body as Buffer).equals(video.subarray(0, 100)), 'exactly those bytes');

    const middle = await get('bytes=1000-');
    t.equal(middle.headers['content-range'], `bytes 1000-${size - 1}/${size}`, 'an open-ended range runs to the end');
    t.ok((middle.body as Buffer).equals(video.subarray(1000)), 'with the right bytes');

    const tail = await get('bytes=-500');
    t.equal(
      tail.headers['content-range'],
      `bytes ${size - 500}-${size - 1}/${size}`,
      'a suffix range is the last bytes',
    );
    t.ok((tail.body as Buffer).equals(video.subarray(size - 500)));

    const past = await get(`bytes=${size - 10}-${size + 1000}`);
    t.equal(
      past.headers['content-range'],
      `bytes ${size - 10}-${size - 1}/${size}`,
      'an end past the file is cut to it',
    );

    const huge = await get('bytes=0-99999999999999999999');
    t.equal(huge.status, 206, 'an end past any file is clamped to this one → 206');
    t.equal(huge.headers['content-range'], `bytes 0-${size - 1}/${size}`, 'the whole file as one range');
    const outside = await get(`bytes=${size}-`);
    t.equal(outside.status, 416, 'a range starting past the end → 416');
    t.equal(outside.headers['content-range'], `bytes */${size}`, 'saying the size');
    t.equal((await get('bytes=-0')).status, 416, 'an empty suffix → 416');

    t.equal((await get('bytes=0-1,5-6')).status, 200, 'several ranges: the whole file (allowed, and simpler for us)');
    t.equal((await get('lines=1-2')).status, 200, 'another unit is ignored');
    t.equal((await get('bytes=9-2')).status, 200, 'as is a backwards range');

    const head = await request(system.app).head(url).set('Range', 'bytes=0-9');
    t.equal(head.status, 206, 'HEAD answers the same headers');
    t.equal(head.headers['content-range'], `bytes 0-9/${size}`);

    const image = await request(system.app)
      .get(`/videos/${videoId}/poster.jpg`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    t.equal(image.status, 200);
    t.equal(image.headers['content-type'], 'image/jpeg', 'the poster is image/jpeg');
    t.ok((image.body as Buffer).equals(poster), 'the poster file');
  },
);

scopedTest(
  'watch page: the viewing button records a viewing of this video and comes back; the script gets the count',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    const { videoId } = await publishVideo(system, await tempDir(scope));
    const agent = request.agent(system.app);
    const page = await agent.get(`/videos/${videoId}`).expect(200);
    const _csrf = csrfTokenOf(page);
    t.match(String(page.headers['set-cookie']), /session=/, 'the watch page gives the visitor a session for the token');

    const pressed = await agent
      .post(`/record-viewing/${videoId}`)
      .set({ ...FROM_THIS_SITE, 'Sec-Fetch-Mode': 'navigate' })
      .type('form')
      .send({ _csrf, returnTo: `/videos/${videoId}` });
    t.equal(pressed.status, 303, 'the button posts');
    t.equal(pressed.headers.location, `/videos/${videoId}`, 'and comes back to the video');
    t.match((await agent.get(`/videos/${videoId}`)).text, /Viewing recorded/, 'which says so');
    const [viewed] = await system.messageStore.readStream(`viewing-${videoId}`);
    t.deepEqual(
      { ...(viewed?.data as object), visitorKey: 'any' },
      { videoId, userId: null, source: 'button', visitorKey: 'any' },
      'a VideoViewed for this video',
    );

    // What public/js/watch.js does: post with the header token, land on the count.
    const scripted = await agent
      .post(`/record-viewing/${videoId}`)
      .set({ ...FROM_THIS_SITE, 'x-csrf-token': _csrf })
      .type('form')
      .send({ _csrf, returnTo: `/videos/${videoId}/views` })
      .redirects(1);
    t.equal(scripted.status, 200);
    t.deepEqual(scripted.body, { views: 7 }, "the script reads the video's count as the projection has it");
    t.equal((await system.messageStore.readStream(`viewing-${videoId}`)).length, 2, 'two viewings recorded');
    t.equal(
      (await agent.post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send({ returnTo: '/' })).status,
      403,
      'without the token → 403',
    );
  },
);
