import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import request from 'supertest';
import test from 'tape';
import { seedAccount } from '../helpers/accounts.ts';
import { watchedCountOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const PAGE_SIZE = 12;

/** Catalog rows as the videos aggregator keeps them; `publishedAt` as PostgreSQL text, to the microsecond. */
async function seedVideo(
  db: Knex,
  columns: {
    name?: string | null;
    status?: string | null;
    publishedAt?: string | null;
    ownerId?: string;
    videoId?: string;
    views?: number;
  },
) {
  const videoId = columns.videoId ?? randomUUID();
  await db('videos').insert({
    video_id: videoId,
    owner_id: columns.ownerId ?? randomUUID(),
    name: columns.name === undefined ? `Video ${videoId.slice(0, 8)}` : columns.name,
    status: columns.status === undefined ? 'published' : columns.status,
    published_at:
      columns.publishedAt === undefined
        ? db.raw('now()')
        : columns.publishedAt === null
          ? null
          : db.raw('?::timestamptz', [columns.publishedAt]),
    duration_seconds: 90,
    views: columns.views ?? 0,
    transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
    poster_uri: `video-store:posters/${videoId}.jpg`,
  });
  return videoId;
}

const videoIdsOn = (html: string): string[] =>
  [...html.matchAll(/<a class="video-card__link" href="\/videos\/([^"]+)"/g)].map((match) => match[1]!);
const nextHrefOf = (html: string): string | undefined =>
  /<a class="button" href="(\/newest\?after=[^"]+)" rel="next"/.exec(html)?.[1];

test('catalog: an empty catalog says so, shows how to add videos, and keeps the count of videos watched', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  await seedVideo(system.db, { status: null, publishedAt: null }); // viewed before its publish arrived
  await seedVideo(system.db, { status: 'unpublished' });
  const home = await request(system.app).get('/').expect(200);
  t.deepEqual(videoIdsOn(home.text), [], 'no video is listed: none is published');
  t.match(home.text, /No videos yet/, 'the page says the catalog is empty');
  t.match(home.text, /href="\/creators-portal"/, 'and shows where videos are added');
  t.equal(watchedCountOf(home.text), 0, 'the count of videos watched is still there');
  t.equal(home.headers['set-cookie'], undefined, 'a visitor gets no cookie from the catalog');
});

test('catalog: published videos newest first with poster, name, creator, duration and views; keyset pages, even for videos published in the same millisecond', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const creator = await seedAccount(system.db, { email: 'ada.lovelace@example.com' });
  const expected: string[] = [];
  // 27 videos: most a second apart, three in one millisecond (microseconds apart), two at the very same instant.
  const instants = Array.from({ length: 22 }, (_, n) => `2026-01-01 00:00:${String(n + 10).padStart(2, '0')}+00`);
  instants.push(
    '2026-01-01 00:00:05.000003+00',
    '2026-01-01 00:00:05.000002+00',
    '2026-01-01 00:00:05.000001+00',
    '2026-01-01 00:00:01+00',
    '2026-01-01 00:00:01+00',
  );
  for (const publishedAt of instants)
    expected.push(await seedVideo(system.db, { publishedAt, ownerId: creator.userId }));
  await seedVideo(system.db, { status: 'unpublished', publishedAt: '2026-02-01 00:00:00+00' });
  const newestFirst = (await system
    .db('videos')
    .where({ status: 'published' })
    .orderBy([
      { column: 'published_at', order: 'desc' },
      { column: 'video_id', order: 'desc' },
    ])
    .pluck('video_id')) as string[];
  t.equal(newestFirst.length, 27);
  await system.db('videos').where({ video_id: newestFirst[0] }).update({ name: 'Newest <b>one</b>', views: 1234 });
  await system.db('videos').where({ video_id: newestFirst[1] }).update({ name: null });

  const home = await request(system.app).get('/').expect(200);
  t.deepEqual(
    videoIdsOn(home.text),
    newestFirst.slice(0, PAGE_SIZE),
    `the home page's Newest section: the first ${PAGE_SIZE} (nobody watched any this week)`,
  );
  t.match(home.text, /href="\/newest"/, 'with a link to their own page');
  const first = await request(system.app).get('/newest').expect(200);
  const firstIds = videoIdsOn(first.text);
  t.deepEqual(firstIds, newestFirst.slice(0, PAGE_SIZE), `the first ${PAGE_SIZE}, newest first`);
  t.match(
    first.text,
    new RegExp(`<img class="video-card__poster" src="/videos/${newestFirst[0]}/poster.jpg\\?v=[0-9a-z]+"`),
    'with posters',
  );
  t.match(first.text, /Newest &lt;b&gt;one&lt;\/b&gt;/, 'names, escaped');
  t.match(first.text, /Untitled/, 'an unnamed video is "Untitled"');
  t.match(
    first.text,
    new RegExp(`creator-${creator.userId.replaceAll('-', '').slice(0, 6)}`),
    'the creator, by a pseudonym from their id',
  );
  t.doesNotMatch(first.text, /ada\.lovelace/, 'nothing of their address');
  t.match(first.text, /1:30/, 'the duration');
  t.match(first.text, /1,234 views/, 'the views');
  t.equal(watchedCountOf(home.text), 0, 'and the home page the count of videos watched');

  const seen = [...firstIds];
  let next = nextHrefOf(first.text);
  let pages = 1;
  while (next) {
    const page = await request(system.app).get(next).expect(200);
    seen.push(...videoIdsOn(page.text));
    t.match(page.text, /href="\/newest"[^>]*>← Newest videos/, `page ${pages + 1} links back to the newest`);
    next = nextHrefOf(page.text);
    pages += 1;
  }
  t.equal(pages, 3, 'three pages of 12, 12 and 3');
  t.deepEqual(
    seen,
    newestFirst,
    'every published video once, in order, none skipped at equal or microsecond-apart times',
  );

  const last = newestFirst.at(-1)!;
  const afterLastHref = `/newest?after=${Buffer.from(`${1767225601000000}.${last}`).toString('base64url')}`;
  const afterLast = await request(system.app).get(afterLastHref).expect(200);
  t.deepEqual(videoIdsOn(afterLast.text), [], 'after the last: nothing');
  t.match(afterLast.text, /the end of the catalog/, 'and the page says so');

  // The home page paged them before /newest existed: its old links lead to the same page.
  const old = await request(system.app).get(afterLastHref.replace('/newest', '/')).expect(301);
  t.equal(old.headers.location, afterLastHref, 'an old /?after= link is sent to /newest with its cursor');
});

test('catalog: a malformed cursor → 400 with a way back, never a 500', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  for (const after of [
    'garbage',
    '',
    Buffer.from('123.not-a-uuid').toString('base64url'),
    Buffer.from(`99999999999999999999999.${randomUUID()}`).toString('base64url'),
    Buffer.from(`999999999999999999.${randomUUID()}`).toString('base64url'),
    Buffer.from(`-5.${randomUUID()}`).toString('base64url'),
    'a'.repeat(500),
  ]) {
    const answer = await request(system.app).get(`/newest?after=${encodeURIComponent(after)}`);
    t.equal(answer.status, 400, `after=${after.slice(0, 30)} → 400`);
    t.match(answer.text, /\/newest/, 'naming the first page');
  }
  t.equal((await request(system.app).get('/newest?after=a&after=b')).status, 400, 'two cursors → 400');
  const old = await request(system.app).get('/?after=garbage').expect(301);
  t.equal(
    (await request(system.app).get(old.headers.location!)).status,
    400,
    'an old link with a broken cursor: sent on, then 400',
  );
});

test('catalog: a new poster gets a new address on the home page, the channel and the watch page, so no browser shows the old one from its cache', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const videoId = await seedVideo(system.db, {});
  const posterOn = async (path: string) =>
    new RegExp(`/videos/${videoId}/poster\\.jpg\\?v=[0-9a-z]+`).exec(
      (await request(system.app).get(path).expect(200)).text,
    )?.[0];
  const before = [await posterOn('/'), await posterOn(`/videos/${videoId}`)];
  t.ok(before.every(Boolean), `a versioned poster address on both (${before.join(', ')})`);
  await system
    .db('videos')
    .where({ video_id: videoId })
    .update({ poster_uri: `video-store:posters/${videoId}/frame-2.jpg` });
  const after = [await posterOn('/'), await posterOn(`/videos/${videoId}`)];
  t.ok(
    after.every((url, index) => url && url !== before[index]),
    `another after the poster changed (${after.join(', ')})`,
  );
  const served = await request(system.app).get(after[0]!);
  t.equal(
    served.status === 404 || served.status === 200,
    true,
    'the route takes the version and ignores it (the file may be absent here)',
  );
});
