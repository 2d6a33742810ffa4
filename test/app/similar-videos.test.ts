import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import test from 'tape';
import { similarVideos } from '../../src/app/search/similar-videos.ts';
import { seedSearchableVideo, type Seeded } from '../fixtures/search-videos.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';

// Up next's similar videos (issue 19): by the rarest of a title's words, read from
// video_title_words a word's newest few at a time; the full text fills a list titles leave short.

async function testDb(t: test.Test): Promise<Knex> {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  return system.db;
}

/** Seeded in order, each a minute after the one before (the newest last). */
function seeder(db: Knex) {
  let minute = 0;
  return (columns: Seeded = {}) =>
    seedSearchableVideo(db, { ...columns, publishedAt: new Date(Date.UTC(2026, 0, 1, 0, (minute += 1))) });
}

const idsOf = (videos: ReadonlyArray<{ videoId: string }>) => videos.map((video) => video.videoId);

test('similar videos: public ones sharing the title’s words, titles before descriptions; never the video itself nor a hidden one', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const source = await seed({ title: 'PostgreSQL indexing basics' });
  const alike = await seed({ title: 'Indexing in PostgreSQL, the deep dive' });
  const described = await seed({ title: 'Query plans', description: 'Why indexing matters' });
  await seed({ title: 'PostgreSQL indexing as a draft', visibility: 'draft' });
  await seed({ title: 'PostgreSQL indexing, unlisted', visibility: 'unlisted' });
  await seed({ title: 'PostgreSQL indexing, deleted', status: 'deleted' });
  await seed({ title: 'Baking bread' });

  const found = await similarVideos(db, source, 5);
  t.deepEqual(
    idsOf(found),
    [alike, described],
    'the title match first, then the description match; not itself, nor draft, unlisted, deleted or unrelated ones',
  );
  t.equal(found[0]?.name, 'Indexing in PostgreSQL, the deep dive', 'with what a card shows');
  t.deepEqual(await similarVideos(db, randomUUID(), 5), [], 'an unknown video: none');
  const hidden = await seed({ title: 'Baking bread at home', visibility: 'unlisted' });
  t.equal(
    (await similarVideos(db, hidden, 5)).length,
    1,
    'an unlisted video is asked about, only public ones come back',
  );
});

test('similar videos: the title’s rarest words are looked for, not a word many videos share', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const zeppelins = await seed({ title: 'Zeppelins explained' });
  const quokkas = await seed({ title: 'Quokkas up close' });
  const marmosets = await seed({ title: 'Marmosets at home' });
  // "Xylophones" no other title holds: it takes no place among the words looked for.
  const source = await seed({ title: 'Xylophones, zeppelins, quokkas and marmosets for beginners' });
  // Newer, and each holding a word of the title: the commonest one.
  for (let part = 1; part <= 6; part += 1) await seed({ title: `Gardening for beginners, part ${part}` });
  t.deepEqual(
    idsOf(await similarVideos(db, source, 3)),
    [marmosets, quokkas, zeppelins],
    'the three holding a rare word (newest first among equals), not the six newer ones holding "beginners"',
  );
});

test('similar videos: more of the words first, then the rarer word; each word’s newest few are read, no more', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  // The oldest, holding both words; "zeppelins" is in 3 titles besides the source's, "quokkas" in 6.
  const both = await seed({ title: 'Quokkas on zeppelins' });
  const [z1, z2] = [await seed({ title: 'Zeppelins, part 1' }), await seed({ title: 'Zeppelins, part 2' })];
  const quokkas: string[] = [];
  for (let part = 1; part <= 5; part += 1) quokkas.push(await seed({ title: `Quokkas, part ${part}` }));
  const source = await seed({ title: 'Zeppelins and quokkas' });
  const [, , q3, q4, q5] = quokkas;

  t.deepEqual(
    idsOf(await similarVideos(db, source, 6)),
    [both, z2, z1, q5, q4, q3],
    'the one holding both words first, then the rarer word’s newest first, then the commoner’s',
  );
  t.deepEqual(
    idsOf(await similarVideos(db, source, 6, { window: 3 })),
    [z2, z1, both, q5, q4, q3],
    'reading each word’s newest three: "quokkas" never reaches the oldest, so it holds one word as far as the read knows',
  );
});

test('similar videos: a title with hyphenated words and stop words finds the same title first', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const same = await seed({ title: 'Real-time to-do lists for quokkas' });
  for (let part = 1; part <= 5; part += 1) await seed({ title: `Quokkas, part ${part}` });
  const source = await seed({ title: 'Real-time to-do lists for quokkas' });
  t.equal((await similarVideos(db, source, 5))[0]?.videoId, same, 'the video with the very same title, first');
});

test('similar videos: titles short of the list, the full text fills it, titles first and nothing twice', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const titled = await seed({ title: 'Zeppelins over London' });
  const described: string[] = [];
  for (let part = 1; part <= 5; part += 1)
    described.push(await seed({ title: `Airships, part ${part}`, description: 'Mostly about zeppelins.' }));
  const source = await seed({ title: 'Zeppelins' });
  const found = idsOf(await similarVideos(db, source, 5));
  t.equal(found[0], titled, 'the title match first');
  t.equal(found.length, 5, 'then four description matches fill the list');
  t.equal(new Set(found).size, 5, 'none twice');
  t.ok(
    found.slice(1).every((id) => described.includes(id)),
    'the rest hold the word in their descriptions',
  );
});

test('similar videos: a stop word of the title takes no place among the words looked for, however rare', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  // "About" is a stop word, held by one other title, and first of the rare words by spelling.
  await seed({ title: 'About time' });
  const axolotls = await seed({ title: 'Axolotls explained' });
  const marmosets = await seed({ title: 'Marmosets at home' });
  const quokkas = await seed({ title: 'Quokkas up close' });
  const source = await seed({ title: 'About quokkas, marmosets and axolotls' });
  t.deepEqual(
    idsOf(await similarVideos(db, source, 3)),
    [quokkas, marmosets, axolotls],
    'the three animals, not the video holding "about"',
  );
});

test('similar videos: a word another video holds only in its creator’s name takes no place among the title words', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  // Counted among the words of titles and names, first of the rare ones by spelling, in no other title.
  await seed({ title: 'Compilers', creatorName: 'Ada Axolotl' });
  const marmosets = await seed({ title: 'Marmosets at home' });
  const quokkas = await seed({ title: 'Quokkas up close' });
  const zebras = await seed({ title: 'Zebras in the wild' });
  const source = await seed({ title: 'Axolotl, quokkas, marmosets and zebras' });
  t.deepEqual(
    idsOf(await similarVideos(db, source, 3)),
    [zebras, quokkas, marmosets],
    'the three sharing a title word, none lost to the word of a name',
  );
});

test('similar videos: one the catalog no longer has as public is passed over, and the next fills its place', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const older = await seed({ title: 'Quokkas, part 1' });
  const newer = await seed({ title: 'Quokkas, part 2' });
  const hiddenFirst = await seed({ title: 'Quokkas, part 3' });
  const source = await seed({ title: 'Quokkas' });
  // The catalog has applied the change; the search read model has not yet.
  await db('videos').where({ video_id: hiddenFirst }).update({ visibility: 'draft' });
  t.deepEqual(
    idsOf(await similarVideos(db, source, 2, { candidates: 0 })),
    [newer, older],
    'two, from the title words alone',
  );
});

test('similar videos: an unlisted video’s own words are not counted, so a word one listed title shares is looked for', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const listed = await seed({ title: 'Quokkas up close' });
  const hidden = await seed({ title: 'Quokkas, the secret cut', visibility: 'unlisted' });
  // No full text (no candidates): what the title words alone find.
  t.deepEqual(idsOf(await similarVideos(db, hidden, 5, { candidates: 0 })), [listed], 'found by its one shared word');
});

// The full text alone (a window of none: the title words find nothing), as when titles run short.
const FULL_TEXT = { window: 0 };

test('similar videos, the full text: the title’s rarest lexemes by the statistics; a word most videos have does not bring them', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  // "Introduction" is the title's longest word, which is what is taken when nothing is known of
  // the words; the statistics ANALYZE keeps say most videos have it.
  const source = await seed({ title: 'Introduction to zeppelins, quokkas, marmosets and axolotls' });
  const rare = await seed({ title: 'Axolotls at home' });
  for (let part = 1; part <= 12; part += 1) await seed({ title: `Introduction to gardening, part ${part}` });
  await db.raw('ANALYZE video_search');
  t.deepEqual(
    idsOf(await similarVideos(db, source, 5, FULL_TEXT)),
    [rare],
    'the video sharing a rare word, not the newer ones sharing only the common word',
  );
});

test('similar videos, the full text: a bounded few are ranked, and those holding every word looked for are among them', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const source = await seed({ title: 'Zeppelins and quokkas' });
  for (let part = 1; part <= 5; part += 1) await seed({ title: `Zeppelins, part ${part}` });
  // Last in the table, where a read of the first few that hold any of the words never gets to.
  const both = await seed({ title: 'Quokkas on zeppelins' });
  const found = idsOf(await similarVideos(db, source, 5, { ...FULL_TEXT, candidates: 3 }));
  t.equal(found[0], both, 'the one with both words, first');
  t.equal(found.length, 4, 'with the first three that hold either word: no more were ranked');
});

test('similar videos, the full text: a title with a hyphenated word finds the very same title first', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  // 'to-do' and 'real-time' are lexemes of their own; read again by the simple parser they
  // became a phrase of parts the document never holds ('to', 'tim'), matching nothing.
  const source = await seed({ title: 'Real-time to-do lists for quokkas' });
  for (let part = 1; part <= 5; part += 1) await seed({ title: `Quokkas, part ${part}` });
  const same = await seed({ title: 'Real-time to-do lists for quokkas' });
  const found = idsOf(await similarVideos(db, source, 5, { ...FULL_TEXT, candidates: 3 }));
  t.equal(found[0], same, 'the video with the very same title, first');
});

test('similar videos, the full text: bounded, a title holding the words still ranks above descriptions that do', async (t) => {
  const db = await testDb(t);
  const seed = seeder(db);
  const source = await seed({ title: 'Zeppelins' });
  for (let part = 1; part <= 5; part += 1)
    await seed({ title: `Airships, part ${part}`, description: 'Mostly about zeppelins.' });
  // Last in the table: the first few holding the word (all of it, one word) are the descriptions.
  const titled = await seed({ title: 'Zeppelins over London' });
  const found = idsOf(await similarVideos(db, source, 5, { ...FULL_TEXT, candidates: 3 }));
  t.equal(found[0], titled, 'the video with the word in its title, first');
});
