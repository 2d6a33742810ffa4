import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import test from 'tape';
import { createSearchQueries, likenessTerms, textParts } from '../../src/app/search/queries.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { controls, writeEvents } from '../fixtures/catalog-events.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';
import { seedSearchableVideo as seedVideo, UNLISTED_STATES } from '../fixtures/search-videos.ts';

const hitsOn = (html: string): string[] =>
  [...html.matchAll(/<h2 class="search-result__title"><a href="\/videos\/([^"]+)"/g)].map((match) => match[1]!);
const moreHrefOf = (html: string): string | undefined =>
  /<a class="button" href="([^"]+)" rel="next">More results/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const search = (q: string) => `/search?${new URLSearchParams({ q }).toString()}`;

async function testSystem(t: test.Test, overrides: Parameters<typeof createTestSystem>[0] = {}) {
  const system = await createTestSystem({ pageCacheMs: 0, ...overrides });
  closeAtEnd(t, () => system.stop());
  return system;
}

test('search: a labelled search box in the header of every page, a GET form to /search', async (t) => {
  const system = await testSystem(t);
  for (const page of ['/', '/search', '/auth/log-in', '/register', '/no-such-page']) {
    const response = await request(system.app).get(page);
    t.match(
      response.text,
      /<form class="site-search" role="search" action="\/search" method="get"><label class="visually-hidden" for="site-search-q">Search videos<\/label><input class="site-search__input" id="site-search-q" type="search" name="q"/,
      `${page}: the header's search form, its input labelled`,
    );
  }
  const empty = await request(system.app).get('/search').expect(200);
  t.match(empty.text, /Type a word or two/, 'an empty search says what to type');
});

test('search: ranked (title above creator above description), highlighted without letting HTML through, and nothing but public listed videos', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const inDescription = await seedVideo(db, {
    title: 'Containers from scratch',
    description: 'Then we deploy it with Kubernetes.',
  });
  const inTitle = await seedVideo(db, { title: 'Kubernetes in ten minutes', description: 'A short tour.' });
  const byCreator = await seedVideo(db, { title: 'Clusters explained', creatorName: 'Kubernetes Kate' });
  const hostile = await seedVideo(db, {
    title: '<script>alert(1)</script> <b>Kubernetes</b> & "friends"',
    description: 'Kubernetes <img src=x onerror=alert(2)>',
  });
  for (const [status, visibility] of UNLISTED_STATES) {
    await seedVideo(db, { title: `Kubernetes hidden ${status} ${visibility}`, status, visibility });
  }

  const page = await request(system.app).get(search('kubernetes')).expect(200);
  const hits = hitsOn(page.text);
  t.equal(
    hits.length,
    4,
    'the four listed videos, none of the draft, unlisted, taken down, deleted or unconverted ones',
  );
  t.ok(hits.indexOf(inTitle) < hits.indexOf(byCreator), 'a title match ranks above a creator-name match');
  t.ok(hits.indexOf(byCreator) < hits.indexOf(inDescription), 'which ranks above a description match');
  t.ok(hits.indexOf(hostile) < hits.indexOf(byCreator), 'the hostile title is a title match too');
  t.match(page.text, /<mark>Kubernetes<\/mark> in ten minutes/, 'the matching word is marked in the title');
  t.match(page.text, /Then we deploy it with <mark>Kubernetes<\/mark>\./, 'and in the description snippet');
  t.match(
    page.text,
    /&lt;script&gt;alert\(1\)&lt;\/script&gt; &lt;b&gt;<mark>Kubernetes<\/mark>&lt;\/b&gt; &amp; &quot;friends&quot;/,
    'a title with tags is shown as text, its match marked',
  );
  t.match(page.text, /<mark>Kubernetes<\/mark> &lt;img src=x onerror=alert\(2\)&gt;/, 'so is a description');
  t.doesNotMatch(page.text, /<script>alert|<b>Kubernetes|<img src=x/, 'no tag of theirs reaches the page');
  t.match(page.text, /Kubernetes Kate/, "the creator's name is shown");

  const minus = hitsOn((await request(system.app).get(search('kubernetes -minutes')).expect(200)).text);
  t.notOk(minus.includes(inTitle), '-minus leaves a word out');
  const quoted = hitsOn((await request(system.app).get(search('"deploy it with kubernetes"')).expect(200)).text);
  t.deepEqual(quoted, [inDescription], '"quotes" find the words together');
  const accented = hitsOn((await request(system.app).get(search('kubérnetes')).expect(200)).text);
  t.ok(accented.includes(inTitle), 'accents are ignored');
});

test('search: a typo or a part of a word still finds something, said to be a close match', async (t) => {
  const system = await testSystem(t);
  const video = await seedVideo(system.db, { title: 'JavaScript promises explained' });
  await seedVideo(system.db, { title: 'Gardening for beginners' });
  for (const typo of ['javscript', 'javascirpt promises', 'promis']) {
    const page = await request(system.app).get(search(typo)).expect(200);
    t.deepEqual(hitsOn(page.text), [video], `"${typo}" finds it`);
  }
  const typo = await request(system.app).get(search('javscript'));
  t.match(typo.text, /No video has exactly those words/, 'the page says these are close matches');
  t.match(typo.text, /<mark>JavaScript<\/mark> promises explained/, 'the word like the one asked for is marked');
  const exact = await request(system.app).get(search('javascript'));
  t.doesNotMatch(exact.text, /No video has exactly those words/, 'an exact match is not called close');
});

test('search: a word cut in two by a character the word splitter cuts at (①, ², ʼ, ŉ) still finds close matches for both parts', async (t) => {
  const system = await testSystem(t);
  const video = await seedVideo(system.db, { title: 'Kafka authentication setup' });
  // ŉ passes for one letter, but unaccent spells it 'n: the one-word statement finds nothing, and the words are asked again apart.
  for (const q of ['kafka①setup', 'kafka²setup', 'kafkaʼsetup', 'kafkaŉsetup'])
    t.ok(hitsOn((await request(system.app).get(search(q)).expect(200)).text).includes(video), `"${q}" finds it`);
  // More than a page of them: the next page is found the same way.
  for (let n = 0; n < 12; n += 1) await seedVideo(system.db, { title: `Kafka setup part ${n}` });
  const first = await request(system.app).get(search('kafkaŉsetup')).expect(200);
  const second = await request(system.app).get(moreHrefOf(first.text)!).expect(200);
  t.equal(hitsOn(first.text).length + hitsOn(second.text).length, 13, 'all thirteen, over two pages');
});

test('search: a stop word beside a misspelling asks for nothing of its own (as in the word matches)', async (t) => {
  const system = await testSystem(t);
  const video = await seedVideo(system.db, { title: 'JavaScript promises explained' });
  // Words like "the" and "for", which a close match would otherwise have had to hold.
  await seedVideo(system.db, { title: 'The theory of types' });
  await seedVideo(system.db, { title: 'Gardening forms for beginners' });
  for (const q of ['the javscript', 'javscript for promises', 'javscript with promises']) {
    const page = await request(system.app).get(search(q)).expect(200);
    t.deepEqual(hitsOn(page.text), [video], `"${q}" finds it`);
  }
});

test('search: a tier is ranked by its rank as a number, even a rank small enough to print with an exponent', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const filler = (n: number) => Array.from({ length: n }, (_, index) => `filler${index}`).join(' ');
  // Two words asked for, far apart in a description: a rank below 1e-4, which PostgreSQL prints
  // as 1.07e-05 and which, sorted as text, came before 0.18.
  const near = await seedVideo(db, { title: 'Near', description: `zeppelin ${filler(4)} quokka` });
  const far = await seedVideo(db, { title: 'Far', description: `zeppelin ${filler(36)} quokka` });
  const first = await request(system.app).get(search('zeppelin quokka')).expect(200);
  t.deepEqual(hitsOn(first.text), [near, far], 'the words close together first, the far apart after');
});

test('search: a one-word search ranks its title matches from the ranks kept per word, in the order and with the scores of ranking the rows', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  // Titles, creators' names and descriptions holding the word in different measure, so the ranks
  // of the whole document differ from those of the title alone; and one draft, never found.
  for (let n = 0; n < 16; n += 1) {
    await seedVideo(db, {
      title: n % 4 === 0 ? `Lesson ${n}` : `Zeppelin lesson ${n}${n % 3 === 0 ? ' zeppelins' : ''}`,
      creatorName: n % 4 === 0 ? 'Zeppelin Zoe' : `Creator ${n}`,
      description: `${'zeppelin '.repeat(n % 5)}and other words`,
    });
  }
  const draft = await seedVideo(db, { title: 'Zeppelin draft', visibility: 'draft' });
  // A rank row left behind for it (a worker running code from before the ranks, say), ranked first.
  await db.raw(`INSERT INTO video_search_ranks VALUES (video_search_term('zeppelin'), 1, ?, 1)`, [draft]);
  const expected = (
    await db.raw<{ rows: Array<{ video_id: string; score: string }> }>(
      `SELECT video_id, ts_rank(document, q)::text AS score
       FROM video_search, websearch_to_tsquery('video_search', 'zeppelin') q
       WHERE listed AND head @@ q
       ORDER BY ts_rank(document, q) DESC, video_id DESC`,
    )
  ).rows;
  t.equal(expected.length, 16, 'sixteen title or creator matches to rank');
  const first = await request(system.app).get(search('zeppelin')).expect(200);
  const second = await request(system.app).get(moreHrefOf(first.text)!).expect(200);
  t.deepEqual(
    [...hitsOn(first.text), ...hitsOn(second.text)],
    expected.map((row) => row.video_id),
    'the two pages list them in the order ts_rank gives the rows, none twice, and never the draft',
  );
  const kept = (
    await db.raw<{ rows: Array<{ video_id: string; score: string }> }>(
      `SELECT video_id, score::text AS score FROM video_search_ranks WHERE term = websearch_to_tsquery('video_search', 'zeppelin')
       AND video_id <> ? ORDER BY score DESC, video_id DESC`,
      [draft],
    )
  ).rows;
  t.deepEqual(kept, expected, 'with the same scores: a cursor made on one page finds its place on the next');
});

test('search: the close matches of one misspelled word are ranked from the kept ranks as ts_rank ranks the heads, without those holding a word asked for or left out', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const many = await seedVideo(db, { title: 'Zeppelin zeppelin zeppelins' });
  // Its description holds the word many times: its rank over the document is the highest, over the head not.
  const described = await seedVideo(db, { title: 'Zeppelin history', description: 'zeppelin '.repeat(6) });
  // Two creators named for it, their heads ranked equal (the later id first); the description
  // ranks the earlier id's document higher, which a rank of the document would put first.
  const byCreator = await seedVideo(db, {
    videoId: '00000000-0000-4000-8000-000000000001',
    title: 'Flying machines',
    creatorName: 'Zeppelin Zed',
    description: 'zeppelin '.repeat(6),
  });
  const byOther = await seedVideo(db, {
    videoId: 'ffffffff-ffff-4fff-8fff-ffffffffffff',
    title: 'Flying boats',
    creatorName: 'Zeppelin Zoe',
  });
  const leftOut = await seedVideo(db, { title: 'Zeppelin crashes' });
  const asked = await seedVideo(db, { title: 'Zeppelin builders', description: 'Spelled zepelin here.' });
  const draft = await seedVideo(db, { title: 'Zeppelin draft', visibility: 'draft' });
  // A rank row left behind for the draft, ranked above every other: never shown.
  await db.raw(`INSERT INTO video_search_ranks VALUES (video_search_term('zeppelin'), 1, ?, 1)`, [draft]);
  const heads = (
    await db.raw<{ rows: Array<{ video_id: string }> }>(
      `SELECT video_id FROM video_search, plainto_tsquery('video_search', 'zeppelin') q
       WHERE listed AND head @@ q AND video_id = ANY(?::uuid[])
       ORDER BY ts_rank(head, q) DESC, video_id DESC`,
      [[many, described, byCreator, byOther]],
    )
  ).rows.map((row) => row.video_id);
  t.equal(heads[0], many, 'the title with the word three times ranks first by its head');
  const page = await request(system.app).get(search('zepelin -crashes')).expect(200);
  t.deepEqual(
    hitsOn(page.text),
    [asked, ...heads],
    'the word match first; then the close matches in the order of their heads’ ranks, none left out wrongly, the draft and the left-out word not at all',
  );
  t.notOk(hitsOn(page.text).includes(leftOut), 'a title holding a word left out is not a close match');
});

test('search: a misspelling like one word pages its close matches by their heads’ ranks, best first, from the index of those ranks', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  // Heads ranked at three levels (the word three times, twice, once), more than a page of them.
  const titles = [
    ...Array.from({ length: 5 }, (_, n) => `Zeppelin zeppelin zeppelin ${n}`),
    ...Array.from({ length: 5 }, (_, n) => `Zeppelin zeppelin ${n}`),
    ...Array.from({ length: 10 }, (_, n) => `Zeppelin ${n}`),
  ];
  for (const title of titles) await seedVideo(db, { title });
  const byHeads = (
    await db.raw<{ rows: Array<{ video_id: string }> }>(
      `SELECT video_id FROM video_search, plainto_tsquery('video_search', 'zeppelin') q
       WHERE listed AND head @@ q ORDER BY ts_rank(head, q) DESC, video_id DESC`,
    )
  ).rows.map((row) => row.video_id);
  t.equal(byHeads.length, 20, 'twenty heads hold the word');
  const first = await request(system.app).get(search('zepelin')).expect(200);
  t.deepEqual(hitsOn(first.text), byHeads.slice(0, 12), 'the first page: the twelve best heads, in order');
  const next = moreHrefOf(first.text);
  t.ok(next, 'a link to more');
  const second = await request(system.app).get(next!).expect(200);
  t.deepEqual(hitsOn(second.text), byHeads.slice(12), 'the second page: the rest, in order');
});

/** Every value of `key` in a JSON plan (EXPLAIN (FORMAT JSON)), at any depth. */
function planValues(plan: unknown, key: string): number[] {
  if (Array.isArray(plan)) return plan.flatMap((item) => planValues(item, key));
  if (typeof plan !== 'object' || plan === null) return [];
  return Object.entries(plan).flatMap(([name, value]) =>
    name === key && typeof value === 'number' ? [value] : planValues(value, key),
  );
}

test('search: a misspelling whose close matches all hold a word left out checks each once, not every left-out video for each', async (t) => {
  const system = await testSystem(t);
  const videos = 120;
  for (let n = 0; n < videos; n += 1) await seedVideo(system.db, { title: `Zeppelin ${n}` });
  const db = createAppDatabase(system.urls.databaseUrl, { poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const sent: Array<{ sql: string; bindings: unknown[] }> = [];
  db.on('query', (query: { sql: string; bindings?: unknown[] }) =>
    sent.push({ sql: query.sql, bindings: query.bindings ?? [] }),
  );
  const page = await createSearchQueries(db).search('zepelin -zeppelin', 12);
  t.equal(page.hits.length, 0, 'its one like word is the word left out: no close match');
  const closePage = sent.find((statement) => statement.sql.includes('like_words'));
  t.ok(closePage, 'a page of close matches was asked for');
  const client = new pg.Client({ connectionString: system.urls.databaseUrl });
  await client.connect();
  closeAtEnd(t, () => client.end());
  const explained = await client.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${closePage!.sql}`,
    closePage!.bindings,
  );
  const removed = planValues(explained.rows[0]!['QUERY PLAN'], 'Rows Removed by Join Filter').reduce(
    (a, b) => a + b,
    0,
  );
  // Checked against the left-out videos by a join inside the page's LIMIT, PostgreSQL compared
  // each rank row with every left-out video: videos × videos rows removed (4.3 s on 100,000 videos).
  t.ok(removed <= videos, `each rank row checked once (${removed} rows removed by join filters, at most ${videos})`);
});

test('search: its statements are prepared once on a connection and reused; a rarer shape is sent as it is', async (t) => {
  const system = await testSystem(t);
  await seedVideo(system.db, { title: 'Zeppelin history' });
  await seedVideo(system.db, { title: 'Airship basics' });
  // One connection, so every statement below runs where the prepared ones are listed.
  const db = createAppDatabase(system.urls.databaseUrl, { poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const queries = createSearchQueries(db);
  const prepared = async () =>
    (
      await db.raw<{ rows: Array<{ name: string }> }>(
        `SELECT name FROM pg_prepared_statements WHERE name LIKE 'vt\\_%' ORDER BY name`,
      )
    ).rows.map((row) => row.name);
  t.deepEqual(await prepared(), [], 'none before a search');
  await queries.search('zepelin', 12);
  t.equal((await prepared()).length, 1, 'a misspelled word: one statement, its word and close matches');
  await queries.search('zeppelin', 12);
  const afterOneWord = await prepared();
  t.equal(
    afterOneWord.length,
    2,
    'a word whose short page has no close match: its like words asked again apart (the splitter may cut it)',
  );
  await queries.search('history', 12);
  await queries.search('zepelin', 12);
  t.deepEqual(await prepared(), afterOneWord, 'other words, the misspelling again: the same statements, reused');
  await queries.search('zepelin airshp', 12);
  const afterTwoWords = await prepared();
  t.equal(afterTwoWords.length, 3, 'two words asked for: their like words found by a statement of their own, kept');
  await queries.search('zepelin airshp basicz', 12);
  t.deepEqual(await prepared(), afterTwoWords, 'their pages, whose texts vary with the words, are not kept');
});

test('search: keyset pages of 12, no video twice and none skipped while new ones are published between pages, across word and close matches', async (t) => {
  const system = await testSystem(t);
  const { db } = system;
  const original: string[] = [];
  for (let n = 0; n < 26; n += 1)
    original.push(
      await seedVideo(db, {
        title: `Lesson ${n} of the course`,
        description: n % 3 === 0 ? 'A lesson on lessons.' : '',
      }),
    );
  // The word in the description only: after every title match.
  for (let n = 0; n < 4; n += 1)
    original.push(await seedVideo(db, { title: `Course part ${n}`, description: 'Today’s lesson is about keys.' }));
  // Close matches only ("lesso" is a part of "lesson", not the word): they follow the word matches.
  for (let n = 0; n < 4; n += 1) original.push(await seedVideo(db, { title: `Lesso part ${n}` }));
  await seedVideo(db, { title: 'Unrelated cooking video' });

  const seen: string[] = [];
  let next: string | undefined = search('lesson');
  let pages = 0;
  // Bounded: a pager that went round in circles would otherwise run into the search limit.
  while (next && pages < 6) {
    const page = await request(system.app).get(next).expect(200);
    const hits = hitsOn(page.text);
    t.ok(hits.length <= 12, `page ${pages + 1}: at most 12`);
    seen.push(...hits);
    next = moreHrefOf(page.text);
    pages += 1;
    // Between page loads, new matching videos are published (ranked anywhere among the others).
    for (let n = 0; n < 3; n += 1)
      await seedVideo(db, { title: `Lesson new ${pages}-${n}`, description: n === 0 ? 'lesson' : '' });
    await seedVideo(db, { title: `Course extra ${pages}`, description: 'One more lesson.' });
  }
  t.equal(new Set(seen).size, seen.length, 'no video twice');
  t.deepEqual(
    original.filter((id) => !seen.includes(id)),
    [],
    'every video that matched at the first page is on some page',
  );
  t.ok(pages >= 3, `${pages} pages`);
  const inTitles = original.slice(0, 26);
  const inDescriptions = original.slice(26, 30);
  const closeOnes = original.slice(30);
  t.deepEqual(seen.slice(-4).sort(), [...closeOnes].sort(), 'the close matches come after every word match');
  const lastInTitle = Math.max(...inTitles.map((id) => seen.indexOf(id)));
  t.ok(
    inDescriptions.every((id) => seen.indexOf(id) > lastInTitle),
    'the description matches come after every title match',
  );
});

test('search: no results suggests what to try; bad input is a 400 page or an empty result, never a 500, and quick', async (t) => {
  const system = await testSystem(t);
  await seedVideo(system.db, { title: 'Something to find' });
  const none = await request(system.app).get(search('zzxqvw')).expect(200);
  t.match(none.text, /No videos found/, 'no results says so');
  t.match(none.text, /fewer words/, 'suggests fewer words');
  t.match(none.text, /Check the spelling/, 'checking the spelling');
  t.match(none.text, /<a href="\/">Browse the newest videos<\/a>/, 'and the newest videos');

  const cases: Array<[string, string, number, RegExp]> = [
    ['over 1 KB', `/search?q=${'a'.repeat(1100)}`, 400, /at most 200 characters/],
    ['201 characters', `/search?q=${'b'.repeat(201)}`, 400, /at most 200 characters/],
    ['a NUL byte', '/search?q=abc%00def', 400, /letters, numbers and spaces/],
    ['another control character', '/search?q=abc%07def', 400, /letters, numbers and spaces/],
    ['only punctuation', `/search?q=${encodeURIComponent('!!! ?? -- "" \'\' & | ! ( )')}`, 200, /No videos found/],
    ['only stop words', '/search?q=the', 200, /No videos found|Results for/],
    [
      'unbalanced quotes and operators',
      `/search?q=${encodeURIComponent('"find -" & ! (something')}`,
      200,
      /Results for/,
    ],
    ['empty', '/search?q=', 200, /Type a word or two/],
    ['spaces', '/search?q=%20%20%20', 200, /Type a word or two/],
    ['two values', '/search?q=a&q=b', 400, /one thing at a time/],
    ['a bracketed name', '/search?q[a]=b', 200, /Type a word or two/],
    ['a broken page link', '/search?q=find&after=garbage', 400, /Search again/],
    [
      'a forged page link',
      `/search?q=find&after=${Buffer.from(`4~1~${randomUUID()}`).toString('base64url')}`,
      400,
      /Search again/,
    ],
    [
      'a bad score',
      `/search?q=find&after=${Buffer.from(`2~NaN~${randomUUID()}`).toString('base64url')}`,
      400,
      /Search again/,
    ],
    [
      'a score too large for a real',
      `/search?q=find&after=${Buffer.from(`3~1e99~${randomUUID()}`).toString('base64url')}`,
      400,
      /Search again/,
    ],
    [
      'a score too small for a real',
      `/search?q=find&after=${Buffer.from(`2~1e-99~${randomUUID()}`).toString('base64url')}`,
      400,
      /Search again/,
    ],
    [
      'a close-match score past a real',
      `/search?q=find&after=${Buffer.from(`1~999e39~${randomUUID()}`).toString('base64url')}`,
      400,
      /Search again/,
    ],
    ['invalid UTF-8', '/search?q=%C3%28', 200, /Results for|No videos found/],
    // Nothing asked for, only left out: not every other video in the catalog, ranked one by one.
    ['only a minus term', search('-zebra'), 200, /No videos found/],
    ['a stop word and a minus term', search('a -zebra'), 200, /No videos found/],
    // Format characters are part of ordinary writing: a joiner in an emoji, a non-joiner in Persian, a soft hyphen or a direction mark pasted with a word.
    ['an emoji with a joiner', search('👩\u200d💻 something'), 200, /Results for/],
    ['Persian with a non-joiner', search('می\u200cخواهم'), 200, /No videos found/],
    ['a soft hyphen and a direction mark', search('some\u00adthing \u200efind'), 200, /Results for/],
  ];
  for (const [label, path, status, words] of cases) {
    const started = Date.now();
    const response = await request(system.app).get(path);
    t.equal(response.status, status, `${label}: ${status}`);
    t.match(response.text, words, `${label}: the page says what to do`);
    t.ok(Date.now() - started < 2000, `${label}: answered at once`);
  }
});

test('search: limited per client address; over it, a 429 that says when to try again', async (t) => {
  const system = await testSystem(t, { searchLimit: { points: 2, windowSeconds: 60 } });
  await request(system.app).get(search('one')).expect(200);
  await request(system.app).get(search('two')).expect(200);
  const over = await request(system.app).get(search('three')).expect(429);
  t.ok(Number(over.headers['retry-after']) > 0, 'Retry-After is set');
  t.match(over.text, /Try again in/, 'the page says when');
  await request(system.app).get('/search').expect(200);
  t.pass('an empty search box costs nothing');
});

test('search: close matches compare the words asked for, without quotes, "or" or the words left out', (t) => {
  t.deepEqual(likenessTerms('kubernetes -minutes "deep dive" or -"ten min"'), {
    wanted: 'kubernetes deep dive',
    unwanted: '"minutes" or "ten min"',
  });
  t.deepEqual(
    likenessTerms('well-known -'),
    { wanted: 'well-known -', unwanted: '' },
    'a hyphen inside a word, or alone, is no minus',
  );
  t.end();
});

test('search: a headline splits at its markers only; the text between stays text', (t) => {
  t.deepEqual(textParts('\uE000<b>\uE001 & <i>'), [
    { text: '<b>', mark: true },
    { text: ' & <i>', mark: false },
  ]);
  t.deepEqual(textParts(''), [], 'nothing: no parts');
  t.end();
});

test('search: the same words asked again within the page cache’s bound reuse the page; other words or another page are read afresh', async (t) => {
  const system = await testSystem(t, { pageCacheMs: 60_000 });
  const first = await seedVideo(system.db, { title: 'Zeppelins over London' });
  t.deepEqual(hitsOn((await request(system.app).get(search('zeppelins')).expect(200)).text), [first], 'one found');
  const second = await seedVideo(system.db, { title: 'Zeppelins over Paris' });
  t.deepEqual(
    hitsOn((await request(system.app).get(search('zeppelins')).expect(200)).text),
    [first],
    'asked again at once: the page already made, without the video published since',
  );
  t.deepEqual(
    new Set(hitsOn((await request(system.app).get(search('zeppelins over')).expect(200)).text)),
    new Set([first, second]),
    'other words: read afresh',
  );
  const secondPage = `${search('zeppelins')}&after=${encodeURIComponent(Buffer.from(`3~0.9~${first}`).toString('base64url'))}`;
  t.deepEqual(
    new Set(hitsOn((await request(system.app).get(secondPage).expect(200)).text)),
    new Set([first, second]),
    'the same words from another place (a cursor above both): read afresh, with the video published since',
  );
});

test('search: a search that outlasts its statement timeout is cut off: a 503 that says what to try, and the next search works', async (t) => {
  // Longer than a quick search takes, shorter than the slow one.
  const system = await testSystem(t, { searchTimeoutMs: 5 });
  // Quick searches first, until one answers: a connection's first statements (knex asks the
  // server's version; PostgreSQL fills its caches) may take longer than 5 ms themselves, so the
  // 503 below is the search's own statement cut off.
  await waitUntil('a quick search answers', async () => (await request(system.app).get(search('lesson many'))).ok);
  // Enough matches of two words that ranking them takes PostgreSQL well over 5 ms (about 20 on a
  // 2-core machine); a one-word search reads its ranks from video_search_ranks, not the rows.
  await system.db.raw(
    `INSERT INTO video_search (video_id, owner_id, title, description, status, visibility, published_at, publishing_position)
     SELECT gen_random_uuid(), gen_random_uuid(), 'Lesson ' || n || ' of many', repeat('lesson words ', 50), 'published', 'public', now(), 1
     FROM generate_series(1, 20000) n`,
  );
  const slow = await request(system.app).get(search('lesson many'));
  t.equal(slow.status, 503, '503');
  t.match(slow.text, /took too long\. Try fewer or more particular words/, 'the page says what to try');
  t.ok(Number(slow.headers['retry-after']) > 0, 'and when');
  await waitUntil('another search answers', async () => (await request(system.app).get(search('quokka'))).ok);
  t.pass('the connection went back to the search pool in a good state: the next search works');
});

/**
 * A creator registered through identity's events, with their video accepted, published and named
 * through the publishing events; `found(q)` says whether a search for q lists that video.
 */
async function creatorsVideo(
  system: Awaited<ReturnType<typeof testSystem>>,
  displayName: string,
  handlePrefix: string,
  title: string,
) {
  const store = system.messageStore;
  const personalData = createPersonalData(system.db);
  const ownerId = randomUUID();
  const identity = async (type: string, data: Record<string, unknown>) =>
    store.write(identityStreamName(ownerId), {
      id: randomUUID(),
      type,
      data: { userId: ownerId, ...data },
      metadata: {},
    });
  await identity('Registered', {
    email: await personalData.seal(ownerId, uniqueEmail()),
    passwordHash: await personalData.seal(ownerId, fakePasswordHash()),
    displayName: await personalData.seal(ownerId, displayName),
    handle: await personalData.seal(ownerId, `${handlePrefix}-${ownerId.slice(0, 8)}`),
  });
  const video = { videoId: randomUUID(), ownerId };
  await writeEvents(store, video, controls.accepted(video), controls.published(video), controls.named(video, title));
  const found = async (q: string) =>
    hitsOn((await request(system.app).get(search(q)).expect(200)).text).includes(video.videoId);
  return { store, personalData, ownerId, identity, video, found };
}

test('search, through the events: a published video is found by its creator’s name, by their new name after a rename, and not once it is a draft', async (t) => {
  const system = await testSystem(t);
  system.start();
  const { store, personalData, ownerId, identity, video, found } = await creatorsVideo(
    system,
    'Barbara Liskov',
    'b',
    'Substitution in practice',
  );

  await waitUntil('the video is found by its creator’s name', () => found('liskov'));
  t.pass('found by the creator’s name');
  await identity('DisplayNameChanged', { displayName: await personalData.seal(ownerId, 'Barbara H. Wright') });
  await waitUntil('the video is found by the new name', () => found('wright'));
  t.notOk(await found('liskov'), 'and no longer by the old one');
  await writeEvents(store, video, controls.visibilityChanged(video, 'draft'));
  await waitUntil('the draft is no longer found', async () => !(await found('substitution')));
  t.pass('a video made a draft after being public is not found');
});

test('search, through the events: an erased creator’s name is no longer searchable, nor brought back by a later event of their video', async (t) => {
  // Polling searches: more than the default allowance.
  const system = await testSystem(t, { searchLimit: { points: 10_000, windowSeconds: 60 } });
  system.start();
  const { store, personalData, ownerId, identity, video, found } = await creatorsVideo(
    system,
    'Grace Hopperson',
    'g',
    'Compilers for everyone',
  );
  await waitUntil('found by the creator’s name', () => found('hopperson'));
  t.ok(await found('hoppersen'), 'and by a misspelling of it');

  await personalData.erase(ownerId);
  await identity('UserErased', { by: ownerId });
  await waitUntil('no longer found by the erased name', async () => !(await found('hopperson')));
  t.notOk(await found('hoppersen'), 'nor by a misspelling of it');
  t.deepEqual(
    await system.db('video_search_words').whereIn('word', ['grace', 'hopperson']).pluck('word'),
    [],
    'the name’s words are not kept among the words a misspelling is compared with',
  );
  await writeEvents(store, video, controls.named(video, 'Compilers revisited'));
  await waitUntil('the rename applied', () => found('revisited'));
  t.notOk(await found('hopperson'), 'a later event of the video does not bring the name back');
  t.equal(
    (await system.db('video_search_creators').where({ user_id: ownerId })).length,
    0,
    'no copy of the name is kept',
  );
  t.equal(
    (await system.db('video_search').where({ video_id: video.videoId }).first('creator_name'))?.creator_name,
    null,
    'nor on the video’s row',
  );
});

test('search, through the events: a misspelling is compared with the words listed videos hold, counted; a word none holds any more is gone', async (t) => {
  const system = await testSystem(t, { searchLimit: { points: 10_000, windowSeconds: 60 } });
  system.start();
  const { store, video, found } = await creatorsVideo(system, 'Barbara Liskov', 'b', 'Compilers for everyone');
  const other = await seedVideo(system.db, { title: 'Parsers by hand' });
  // Undefined once no row holds the word.
  const counted = async (word: string): Promise<number | undefined> =>
    (await system.db('video_search_words').where({ word }).first('videos'))?.videos;
  await waitUntil('found by a misspelled title word', () => found('compliers'));
  // The name comes by another subscriber (the creators part), which may apply after the video's.
  t.ok(await waitUntil('found by a misspelled name', () => found('liskoov')), 'and by a misspelled name');
  t.equal(await counted('compilers'), 1, 'one listed video holds the title’s word');
  t.equal(await counted('liskov'), 1, 'and the creator’s name');

  await writeEvents(store, video, controls.named(video, 'Parsers for everyone'));
  await waitUntil('the rename applied', () => found('parsers'));
  t.equal(await counted('compilers'), undefined, 'the old title’s word is gone');
  t.notOk(await found('compliers'), 'and no misspelling finds the video by it');
  t.equal(await counted('parsers'), 2, 'the new one is counted beside the other video’s');

  await writeEvents(store, video, controls.visibilityChanged(video, 'draft'));
  await waitUntil('the draft is no longer found', async () => !(await found('liskov')));
  t.equal(await counted('parsers'), 1, 'a draft’s words are not counted');
  t.equal(await counted('liskov'), undefined, 'nor its creator’s name');
  const misspelled = hitsOn((await request(system.app).get(search('parsres')).expect(200)).text);
  t.deepEqual(misspelled, [other], 'a misspelling finds the listed video only');
});
