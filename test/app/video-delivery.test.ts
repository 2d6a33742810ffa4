import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import test from 'tape';
import type { Visibility } from '../../src/contracts/video-publishing.ts';
import { accelRedirectTarget } from '../../src/app/videos/send-stored-file.ts';
import type { System } from '../../src/system.ts';
import { InvalidVideoKeyError, videoKeys } from '../../src/video-store/index.ts';
import { logIn, seedAccount, type Account } from '../helpers/accounts.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';

// VIDEO_DELIVERY=x-accel-redirect: the app decides who may have a video's files exactly as it
// does when it sends them (test/app/video-visibility.test.ts), then only names the file to nginx.

const PREFIX = '/protected-videos/';
const ACCEL = { delivery: { mode: 'x-accel-redirect', accelPrefix: PREFIX } } as const;

/** A converted video as the catalog and the creator's list keep it, with its files in the store. */
async function seedVideo(
  system: System,
  ownerId: string,
  { visibility = 'public' as Visibility, status = 'published' } = {},
): Promise<string> {
  const videoId = randomUUID();
  const video = await system.videoStore.put(videoKeys.transcoded(videoId), Readable.from([Buffer.from('mp4')]));
  const poster = await system.videoStore.put(videoKeys.poster(videoId), Readable.from([Buffer.from('jpeg')]));
  await system.db('videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    name: 'Keysets explained',
    status,
    visibility,
    published_at: new Date(),
    duration_seconds: 30,
    // A taken-down or deleted row keeps its URIs here on purpose: only the checks stand between them and a header.
    transcoded_uri: video.uri,
    poster_uri: poster.uri,
  });
  await system.db('creators_videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    name: 'Keysets explained',
    status,
    visibility,
    progress: 100,
    poster_uri: poster.uri,
    uploaded_at: new Date(),
  });
  return videoId;
}

async function loggedIn(system: System, account: Account) {
  const agent = request.agent(system.app);
  const answer = await logIn(agent, account.email, account.password);
  if (answer.status !== 303) throw new Error(`log-in answered ${answer.status}`);
  return agent;
}

scopedTest(
  'x-accel-redirect: a public or unlisted video’s MP4 and poster are an empty 200 naming the file under the prefix, whatever the Range',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ videos: ACCEL }), (s) => s.stop());
    const owner = await seedAccount(system.db);
    for (const visibility of ['public', 'unlisted'] as const) {
      const videoId = await seedVideo(system, owner.userId, { visibility });
      for (const [file, type, target] of [
        ['video.mp4', 'video/mp4', `transcoded/${videoId}.mp4`],
        ['poster.jpg', 'image/jpeg', `posters/${videoId}.jpg`],
      ] as const) {
        for (const range of [undefined, 'bytes=1-2']) {
          const call = request(system.app).get(`/videos/${videoId}/${file}`);
          const answer = range === undefined ? await call : await call.set('Range', range);
          const asked = `${visibility} ${file}${range === undefined ? '' : ` (${range})`}`;
          t.equal(answer.status, 200, `${asked}: 200, for nginx to answer the Range itself`);
          t.equal(answer.headers['x-accel-redirect'], `${PREFIX}${target}`, `${asked}: names the file`);
          t.equal(answer.headers['content-type'], type, `${asked}: its type`);
          t.equal(answer.headers['cache-control'], 'private, max-age=300', `${asked}: its caching rule`);
          t.equal(answer.headers['content-range'], undefined, `${asked}: no range of its own`);
          t.equal(answer.headers['content-length'], '0', `${asked}: and no body`);
        }
      }
      const head = await request(system.app).head(`/videos/${videoId}/video.mp4`);
      t.equal(head.headers['x-accel-redirect'], `${PREFIX}transcoded/${videoId}.mp4`, `${visibility}: HEAD too`);
    }
  },
);

scopedTest(
  'x-accel-redirect: a draft for anyone but its creator, a taken-down and a deleted video are refused as today, naming no file',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ videos: ACCEL, pageCacheMs: 0 }), (s) => s.stop());
    const creator = await seedAccount(system.db);
    const other = await seedAccount(system.db);
    const draft = await seedVideo(system, creator.userId, { visibility: 'draft' });
    const takenDown = await seedVideo(system, creator.userId, { status: 'takenDown' });
    const deleted = await seedVideo(system, creator.userId, { status: 'deleted' });
    const viewers = { anonymous: request.agent(system.app), 'another user': await loggedIn(system, other) };
    for (const [who, agent] of Object.entries(viewers)) {
      for (const [label, videoId, status] of [
        ['draft', draft, 404],
        ['taken down', takenDown, 410],
        ['deleted', deleted, 404],
      ] as const) {
        for (const file of ['video.mp4', 'poster.jpg']) {
          const answer = await agent.get(`/videos/${videoId}/${file}`);
          t.equal(answer.status, status, `${label} ${file}, ${who}: ${status}`);
          t.equal(answer.headers['x-accel-redirect'], undefined, `${label} ${file}, ${who}: no X-Accel-Redirect`);
        }
      }
    }

    const own = await loggedIn(system, creator);
    t.equal(
      (await own.get(`/videos/${draft}/video.mp4`)).headers['x-accel-redirect'],
      `${PREFIX}transcoded/${draft}.mp4`,
      'its creator has the draft’s file named',
    );
    const portal = await own.get(`/creators-portal/videos/${draft}/poster.jpg`);
    t.equal(portal.headers['x-accel-redirect'], `${PREFIX}posters/${draft}.jpg`, 'and in the portal, its poster');
    const notTheirs = await viewers['another user'].get(`/creators-portal/videos/${draft}/poster.jpg`);
    t.equal(notTheirs.headers['x-accel-redirect'], undefined, 'which another user is not given');
    t.ok(notTheirs.status >= 400, `another user's answer is a refusal (${notTheirs.status})`);
  },
);

scopedTest(
  'x-accel-redirect: nothing in the address, and no URI in a row, makes the header point outside the prefix',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ videos: ACCEL }), (s) => s.stop());
    const owner = await seedAccount(system.db);
    const videoId = await seedVideo(system, owner.userId);
    for (const id of [
      '..',
      '%2e%2e',
      '..%2F..%2Fetc%2Fpasswd',
      `${videoId}%2F..%2F..`,
      `..%2Ftranscoded%2F${videoId}.mp4`,
      `${videoId}%00`,
      `%2F${videoId}`,
    ]) {
      const answer = await request(system.app).get(`/videos/${id}/video.mp4`);
      t.equal(answer.status, 404, `/videos/${id}/video.mp4: 404`);
      t.equal(answer.headers['x-accel-redirect'], undefined, `and no header`);
    }

    // A row no projection writes, as if the catalog had been tampered with: the store's mapping refuses it.
    const forged = await seedVideo(system, owner.userId);
    for (const uri of ['video-store:../../etc/passwd', 'video-store:transcoded/%2e%2e', 'file:///etc/passwd']) {
      await system.db('videos').where({ video_id: forged }).update({ transcoded_uri: uri });
      const answer = await request(system.app).get(`/videos/${forged}/video.mp4`);
      t.ok(answer.status >= 400, `a catalog URI ${uri}: refused (${answer.status})`);
      t.equal(answer.headers['x-accel-redirect'], undefined, 'and no header');
    }
  },
);

test('x-accel-redirect: the target is the prefix and the path, each segment percent-encoded; no way out of the prefix', (t) => {
  t.equal(accelRedirectTarget('/p/', 'transcoded/a.mp4'), '/p/transcoded/a.mp4');
  t.equal(
    accelRedirectTarget('/p/', 'a b/c%2F?#d.mp4'),
    '/p/a%20b/c%252F%3F%23d.mp4',
    'what a URL would read otherwise',
  );
  for (const path of ['../etc/passwd', 'a/../../b', './a', 'a//b', '/etc/passwd', 'a/', ''])
    t.throws(() => accelRedirectTarget('/p/', path), InvalidVideoKeyError, `${JSON.stringify(path)} refused`);
  t.end();
});
