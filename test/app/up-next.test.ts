import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import request from 'supertest';
import test from 'tape';
import { upNext } from '../../src/app/videos/up-next.ts';
import { logIn, seedAccount } from '../helpers/accounts.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { seedSearchableVideo, type Seeded, syncSearchRows, UNLISTED_STATES } from '../fixtures/search-videos.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';

// The watch page's up next (issue 19): the creator's other public videos first, newest first,
// then similar ones by text; never the watched video, never one twice, never one not listed.

async function testSystem(t: test.Test) {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  return system;
}

/** A video in both read models (catalog and search), published `minutesAgo` minutes ago. */
async function seed(db: Knex, columns: Seeded & { minutesAgo?: number } = {}): Promise<string> {
  const { minutesAgo = 0, ...rest } = columns;
  return seedSearchableVideo(db, { ...rest, publishedAt: new Date(Date.now() - minutesAgo * 60_000) });
}

/** Makes a video what its events would: both read models changed alike. */
async function change(db: Knex, videoId: string, columns: { status?: string; visibility?: string }): Promise<void> {
  await db('videos').where({ video_id: videoId }).update(columns);
  await db('video_search').where({ video_id: videoId }).update(columns);
  await syncSearchRows(db, videoId);
}

/** The up next list of a watch page, as links in order. */
const upNextOn = (html: string): string[] =>
  [...html.matchAll(/<a class="up-next__name" href="\/videos\/([^"]+)"/g)].map((match) => match[1]!);

const ids = async (db: Knex, video: { videoId: string; ownerId: string | null }) =>
  (await upNext(db, video)).map((next) => next.videoId);

test('up next: the creator’s other videos first, newest first, then similar ones by text; never the watched video, never one twice', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const ownerId = randomUUID();
  await db('user_profiles').insert({ user_id: ownerId, display_name: 'Grace Hopper', handle: 'grace-up-next' });
  const watched = await seed(db, { ownerId, title: 'Kubernetes networking basics', minutesAgo: 30 });
  const olderOwn = await seed(db, { ownerId, title: 'Baking bread', minutesAgo: 60 });
  const newerOwn = await seed(db, { ownerId, title: 'Sourdough starters', minutesAgo: 10 });
  // The creator's own and like it by words: listed once, among the creator's.
  const ownAndAlike = await seed(db, { ownerId, title: 'Kubernetes networking deep dive', minutesAgo: 20 });
  const alike = await seed(db, { title: 'Networking in Kubernetes clusters', minutesAgo: 5 });
  const described = await seed(db, {
    title: 'Service meshes',
    description: 'How kubernetes networking gets complicated',
    minutesAgo: 5,
  });
  await seed(db, { title: 'Gardening for beginners' });

  const list = await ids(db, { videoId: watched, ownerId });
  t.deepEqual(list.slice(0, 3), [newerOwn, ownAndAlike, olderOwn], 'the creator’s others first, newest first');
  t.deepEqual(
    list.slice(3),
    [alike, described],
    'then similar ones, the title match before the description match; nothing unrelated',
  );
  t.notOk(list.includes(watched), 'never the watched video');
  t.equal(new Set(list).size, list.length, 'no video twice (the creator’s video like it by words is listed once)');

  const page = await request(system.app).get(`/videos/${watched}`).expect(200);
  t.deepEqual(upNextOn(page.text), list, 'the watch page lists them in that order');
  t.match(page.text, /<h2 class="up-next__title" id="up-next-title">Up next<\/h2>/, 'under the heading "Up next"');
  t.match(
    page.text,
    new RegExp(`<img class="up-next__poster" src="/videos/${newerOwn}/poster\\.jpg\\?v=[0-9a-z]+" alt=""`),
    'each with its poster',
  );
  t.match(page.text, />Sourdough starters<\/a>/, 'its title');
  t.match(page.text, /<a class="person" href="\/@grace-up-next"><bdi>Grace Hopper<\/bdi><\/a>/, 'its creator’s name');
  t.match(page.text, /<span>1:30<\/span>/, 'and its duration');
  t.match(
    page.text,
    /<script type="module" src="\/public\/js\/up-next\.js"><\/script>/,
    'the script that offers the first at the end, from a file (the CSP allows no inline script)',
  );
  t.match(
    page.text,
    new RegExp(`<a class="up-next__name" href="/videos/${newerOwn}" data-up-next="first">`),
    'the first is marked for it',
  );
});

test('up next: at most 8, up to 4 of them the creator’s, then similar ones, then the creator’s others fill what is left', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const ownerId = randomUUID();
  const watched = await seed(db, { ownerId, title: 'Rust ownership', minutesAgo: 100 });
  const own: string[] = [];
  for (let n = 0; n < 6; n += 1) own.push(await seed(db, { ownerId, title: `Episode ${n}`, minutesAgo: 50 + n }));
  const alike: string[] = [];
  for (let n = 0; n < 2; n += 1)
    alike.push(await seed(db, { title: `Rust ownership, part ${n + 2}`, minutesAgo: 10 - n }));
  const list = await ids(db, { videoId: watched, ownerId });
  t.deepEqual(list.slice(0, 4), own.slice(0, 4), 'four of the creator’s, newest first');
  t.deepEqual(list.slice(4, 6).sort(), [...alike].sort(), 'the two like it');
  t.deepEqual(list.slice(6), own.slice(4, 6), 'and two more of the creator’s');
  for (let n = 0; n < 6; n += 1) await seed(db, { title: `Rust ownership explained ${n}` });
  const full = await ids(db, { videoId: watched, ownerId });
  t.equal(full.length, 8, 'never more than 8');
  t.deepEqual(full.slice(0, 4), own.slice(0, 4), 'the creator’s four first');
});

test('up next: drafts, unlisted, taken-down, deleted and unconverted videos are never offered, on any page, the owner’s draft page included', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const creator = await seedAccount(db);
  const ownerId = creator.userId;
  const watched = await seed(db, { ownerId, title: 'Terraform modules', minutesAgo: 30 });
  const listed = await seed(db, { ownerId, title: 'Terraform state', minutesAgo: 40 });
  const hidden: string[] = [];
  for (const [status, visibility] of UNLISTED_STATES) {
    // The creator's own (newer than the listed one) and another creator's like it by words.
    hidden.push(
      await seed(db, { ownerId, title: `Terraform ${status} ${visibility}`, status, visibility, minutesAgo: 1 }),
    );
    hidden.push(
      await seed(db, { title: `Terraform modules ${status} ${visibility}`, status, visibility, minutesAgo: 1 }),
    );
  }
  const alike = await seed(db, { title: 'Terraform modules in depth', minutesAgo: 2 });
  const madeDraft = await seed(db, { ownerId, title: 'Terraform modules, once public', minutesAgo: 3 });
  const madeUnlisted = await seed(db, { title: 'Terraform modules, once listed', minutesAgo: 3 });

  const before = await ids(db, { videoId: watched, ownerId });
  t.deepEqual(before.slice(0, 2), [madeDraft, listed], 'the creator’s public ones first');
  t.deepEqual(
    before.slice(2).sort(),
    [madeUnlisted, alike].sort(),
    'then the public ones like it; nothing else, while they are public',
  );
  await change(db, madeDraft, { visibility: 'draft' });
  await change(db, madeUnlisted, { visibility: 'unlisted' });
  t.deepEqual(
    await ids(db, { videoId: watched, ownerId }),
    [listed, alike],
    'made draft or unlisted after being public: no longer offered',
  );
  // The catalog has it already, the search read model not yet: the catalog's word counts too.
  await db('videos').where({ video_id: alike }).update({ status: 'takenDown' });
  t.deepEqual(
    await ids(db, { videoId: watched, ownerId }),
    [listed],
    'taken down in the catalog a moment before the search read model knows: not offered',
  );
  await db('videos').where({ video_id: alike }).update({ status: 'published' });
  // And the other way round: the search read model has it first.
  await db('video_search').where({ video_id: alike }).update({ visibility: 'draft' });
  await syncSearchRows(db, alike);
  t.deepEqual(
    await ids(db, { videoId: watched, ownerId }),
    [listed],
    'made draft in the search read model a moment before the catalog knows: not offered',
  );
  await db('video_search').where({ video_id: alike }).update({ visibility: 'public' });
  await syncSearchRows(db, alike);

  const page = await request(system.app).get(`/videos/${watched}`).expect(200);
  t.deepEqual(upNextOn(page.text), [listed, alike], 'the watch page: the listed ones only');
  for (const id of [...hidden, madeDraft, madeUnlisted]) if (page.text.includes(id)) t.fail(`${id} is on the page`);

  // The owner watching their own draft or unlisted video: up next is still public videos only.
  const agent = request.agent(system.app);
  await logIn(agent, creator.email, creator.password);
  for (const visibility of ['draft', 'unlisted'] as const) {
    await change(db, watched, { visibility });
    const own = await agent.get(`/videos/${watched}`).expect(200);
    t.match(own.text, new RegExp(`This video is (a draft|unlisted)`), `${visibility}: the owner’s page`);
    t.deepEqual(upNextOn(own.text), [listed, alike], `${visibility}: up next lists the public ones only`);
    for (const id of [...hidden, madeDraft, madeUnlisted])
      if (own.text.includes(id)) t.fail(`${visibility}: ${id} is on the page`);
  }
  const hiddenPage = await agent.get(`/videos/${hidden[0]}`).expect(200);
  t.notOk(upNextOn(hiddenPage.text).includes(hidden[0]!), 'a draft’s own page does not offer the draft');
  t.deepEqual(upNextOn(hiddenPage.text).sort(), [listed, alike].sort(), 'nor any other hidden one');
});

test('up next: a video made draft through its events leaves the list as the read models apply it', async (t) => {
  const system = await testSystem(t);
  system.start();
  const { db, messageStore } = system;
  const ownerId = randomUUID();
  const [watched, other] = [
    { ...newVideo(), ownerId },
    { ...newVideo(), ownerId },
  ];
  for (const [video, name] of [
    [watched, 'Vim motions'],
    [other, 'Vim macros'],
  ] as const) {
    await writeEvents(
      messageStore,
      video,
      controls.accepted(video),
      controls.published(video),
      controls.named(video, name),
    );
  }
  const listed = await waitUntil('both videos published in the catalog and the search read model', async () => {
    const list = await ids(db, watched);
    const searchable = await db('video_search')
      .where({ video_id: other.videoId, listed: true, title: 'Vim macros' })
      .first();
    return list.length === 1 && searchable ? list : undefined;
  });
  t.deepEqual(
    listed,
    [other.videoId],
    'the creator’s other video is offered (once, though its title is like this one’s)',
  );
  await writeEvents(messageStore, other, controls.visibilityChanged(other, 'draft'));
  await waitUntil('the draft to leave up next', async () => ((await ids(db, watched)).length === 0 ? true : undefined));
  const page = await request(system.app).get(`/videos/${watched.videoId}`).expect(200);
  t.notOk(page.text.includes(other.videoId), 'the page no longer links to it');
});

test('up next: a page with no other video to offer has no up next list, and says where to go', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const alone = await seed(db, { title: 'The only video' });
  await seed(db, {
    title: 'The only video, a draft',
    visibility: 'draft',
    ownerId: (await db('videos').where({ video_id: alone }).first()).owner_id,
  });
  const page = await request(system.app).get(`/videos/${alone}`).expect(200);
  t.doesNotMatch(page.text, /Up next|class="up-next/, 'no up next');
  t.match(page.text, /<a href="\/">← All videos<\/a>/, 'the link to all videos stays');
  t.deepEqual(
    await upNext(db, { videoId: randomUUID(), ownerId: randomUUID() }),
    [],
    'an unknown video: nothing, no error',
  );
  t.deepEqual(
    await upNext(db, { videoId: alone, ownerId: null }),
    [],
    'a video without a known owner: similar ones only (none here)',
  );
});

test('up next: the creator’s others are one range of the videos_channel index on a big catalog', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const ownerId = randomUUID();
  // 20,000 videos by 1,000 creators, a fifth of them not listed.
  await db.raw(
    `INSERT INTO videos (video_id, owner_id, name, status, visibility, published_at, duration_seconds, transcoded_uri, poster_uri)
     SELECT gen_random_uuid(), CASE WHEN n % 1000 = 0 THEN ?::uuid ELSE md5((n % 1000)::text)::uuid END, 'Video ' || n,
            CASE WHEN n % 10 = 1 THEN 'deleted' ELSE 'published' END,
            CASE WHEN n % 10 = 2 THEN 'draft' ELSE 'public' END,
            now() - n * interval '1 minute', 60, 'video-store:transcoded/x.mp4', 'video-store:posters/x.jpg'
     FROM generate_series(1, 20000) n`,
    [ownerId],
  );
  await db.raw('ANALYZE videos');
  const queries: Array<{ sql: string; bindings: readonly unknown[] }> = [];
  const listen = (query: { sql: string; bindings?: readonly unknown[] }) =>
    queries.push({ sql: query.sql, bindings: query.bindings ?? [] });
  db.on('query', listen);
  try {
    await upNext(db, { videoId: randomUUID(), ownerId });
  } finally {
    db.off('query', listen);
  }
  const byCreator = queries.find((query) => query.sql.includes('owner_id'));
  if (!byCreator) return t.fail('the creator’s query ran');
  const plan = await db.raw<{ rows: Array<{ 'QUERY PLAN': unknown }> }>(
    `EXPLAIN (FORMAT JSON) ${byCreator.sql.replace(/\$\d+/g, '?')}`,
    byCreator.bindings as Knex.RawBinding[],
  );
  const text = JSON.stringify(plan.rows[0]?.['QUERY PLAN']);
  t.match(text, /"Index Name":"videos_channel"/, 'read through videos_channel');
  t.doesNotMatch(
    text,
    /"Node Type":"Sort"|"Seq Scan".*"Relation Name":"videos"/,
    'in its order, without sorting or reading the whole table',
  );
});
