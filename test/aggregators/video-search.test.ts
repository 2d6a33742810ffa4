import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscriptions, projectionOf } from '../../src/aggregators/definition.ts';
import { videoSearchDefinition, VIDEO_SEARCH_SUBSCRIBER_IDS } from '../../src/aggregators/video-search/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { controls, newVideo, writeEvents, type TestVideo } from '../fixtures/catalog-events.ts';

function parts(store: MessageStore, db: Knex, batchSize = 100) {
  const [videos, creators] = liveSubscriptions(videoSearchDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize },
  });
  return { videos, creators };
}

async function catchUp(
  store: MessageStore,
  db: Knex,
  order: 'videos first' | 'creators first' = 'videos first',
  batchSize = 100,
): Promise<void> {
  const { videos, creators } = parts(store, db, batchSize);
  for (const subscription of order === 'videos first' ? [videos, creators] : [creators, videos])
    await drain(subscription);
}

async function writeIdentity(
  store: MessageStore,
  userId: string,
  type: string,
  data: Record<string, unknown>,
): Promise<void> {
  await store.write(identityStreamName(userId), { id: randomUUID(), type, data: { userId, ...data }, metadata: {} });
}

async function register(
  store: MessageStore,
  personalData: PersonalData,
  userId: string,
  displayName: string,
): Promise<void> {
  await writeIdentity(store, userId, 'Registered', {
    email: await personalData.seal(userId, uniqueEmail()),
    passwordHash: await personalData.seal(userId, fakePasswordHash()),
    displayName: await personalData.seal(userId, displayName),
    handle: await personalData.seal(userId, `h-${userId.slice(0, 8)}`),
  });
}

async function rename(
  store: MessageStore,
  personalData: PersonalData,
  userId: string,
  displayName: string,
): Promise<void> {
  await writeIdentity(store, userId, 'DisplayNameChanged', {
    displayName: await personalData.seal(userId, displayName),
  });
}

interface SearchRow {
  video_id: string;
  title: string | null;
  creator_name: string | null;
  listed: boolean;
  document: string;
  trigram_text: string;
}

const rowOf = async (db: Knex, { videoId }: TestVideo): Promise<SearchRow | undefined> =>
  db('video_search')
    .where({ video_id: videoId })
    .first<SearchRow | undefined>(
      'video_id',
      'title',
      'creator_name',
      'listed',
      db.raw('document::text AS document'),
      'trigram_text',
    );

const everything = async (db: Knex) => ({
  videos: await db.raw('SELECT * FROM video_search AS t ORDER BY t::text').then((r: { rows: unknown[] }) => r.rows),
  creators: await db
    .raw('SELECT * FROM video_search_creators AS t ORDER BY t::text')
    .then((r: { rows: unknown[] }) => r.rows),
  // What a misspelled search is compared with: counted once per listed video, however often delivered.
  words: await db
    .raw('SELECT * FROM video_search_words AS t ORDER BY t::text')
    .then((r: { rows: unknown[] }) => r.rows),
  // What up next reads: each listed title's words, once, however often delivered.
  titleWords: await db
    .raw('SELECT * FROM video_title_words AS t ORDER BY t::text')
    .then((r: { rows: unknown[] }) => r.rows),
  // What a one-word search and a misspelling's close matches rank by: each listed head's lexemes, once.
  ranks: await db
    .raw(
      'SELECT t.term::text, t.score::text, t.video_id, t.head_score::text FROM video_search_ranks AS t ORDER BY t::text',
    )
    .then((r: { rows: unknown[] }) => r.rows),
});

/** The words up next finds a video by: its title's, while it is listed. */
const titleWordsOf = async (db: Knex, { videoId }: TestVideo): Promise<string[]> =>
  db('video_title_words').where({ video_id: videoId }).orderBy('word').pluck('word');

async function publish(
  store: MessageStore,
  video: TestVideo,
  title: string,
  description = '',
  visibility: 'public' | 'unlisted' | 'draft' = 'public',
) {
  await writeEvents(
    store,
    video,
    controls.accepted(video, {}, visibility),
    controls.published(video),
    controls.named(video, title),
    ...(description ? [controls.described(video, description)] : []),
  );
}

scopedTest(
  'video-search: a public video is listed with its title, description and creator name in a weighted, unaccented vector',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const ownerId = randomUUID();
    await register(store, personalData, ownerId, 'Zoë Müller');
    const video = { videoId: randomUUID(), ownerId };
    await publish(store, video, 'Crème brûlée with Postgres', 'Whisking transactions');
    await catchUp(store, db);

    const row = await rowOf(db, video);
    t.equal(row?.listed, true, 'listed');
    t.equal(row?.creator_name, 'Zoë Müller', "the creator's display name");
    t.match(row?.document ?? '', /'creme':1A/, 'the title, unaccented, weight A');
    t.match(row?.document ?? '', /'zoe':\d+B/, 'the creator, weight B');
    t.match(row?.document ?? '', /'whisk':\d+C/, 'the description, stemmed, weight C');
    t.equal(
      row?.trigram_text,
      'creme brulee with postgres zoe muller',
      'the trigram text: title and creator, lower case, unaccented',
    );
  },
);

scopedTest(
  'video-search: drafts, unlisted, made draft after public, taken down and deleted are never listed',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const draft = newVideo();
    const unlisted = newVideo();
    const hidden = newVideo();
    const takenDown = newVideo();
    const deleted = newVideo();
    const converting = newVideo();
    await publish(store, draft, 'Draft video', '', 'draft');
    await publish(store, unlisted, 'Unlisted video', '', 'unlisted');
    await publish(store, hidden, 'Hidden later');
    await publish(store, takenDown, 'Taken down later');
    await publish(store, deleted, 'Deleted later');
    await writeEvents(store, converting, controls.accepted(converting), controls.named(converting, 'Still converting'));
    await catchUp(store, db);
    t.equal((await rowOf(db, hidden))?.listed, true, 'public first');
    t.deepEqual(await titleWordsOf(db, hidden), ['hidden', 'later'], 'its title’s words for up next');
    t.deepEqual(await titleWordsOf(db, draft), [], 'a draft’s title has none');
    await writeEvents(store, deleted, controls.named(deleted, 'Deleted much later'));
    await catchUp(store, db);
    t.deepEqual(await titleWordsOf(db, deleted), ['deleted', 'later', 'much'], 'renamed: the new title’s words');
    await writeEvents(store, hidden, controls.visibilityChanged(hidden, 'draft'));
    await writeEvents(store, takenDown, controls.takenDown(takenDown, 'spam'));
    await writeEvents(store, deleted, controls.deleted(deleted));
    // A late event of the deleted video (a rename that crossed its deletion) changes nothing.
    await writeEvents(store, deleted, controls.named(deleted, 'Back from the dead'));
    await catchUp(store, db);
    for (const [label, video] of Object.entries({ draft, unlisted, hidden, takenDown, deleted, converting })) {
      t.equal((await rowOf(db, video))?.listed, false, `${label}: not listed`);
      t.deepEqual(await titleWordsOf(db, video), [], `${label}: no title words`);
    }
    const tombstone = await rowOf(db, deleted);
    t.equal(tombstone?.title, null, 'the deleted video keeps no title');
    t.equal(tombstone?.document, '', 'nor anything to find');
  },
);

scopedTest(
  'video-search: a renamed creator is found by the new name on every video, whichever part runs first; delivered twice or replayed, the same rows',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const ownerId = randomUUID();
    const first = { videoId: randomUUID(), ownerId };
    const second = { videoId: randomUUID(), ownerId };
    // The video before its creator's registration is applied: the creators part fills the name in.
    await publish(store, first, 'First tutorial');
    await register(store, personalData, ownerId, 'Grace Hopper');
    await catchUp(store, db, 'videos first');
    t.equal(
      (await rowOf(db, first))?.creator_name,
      'Grace Hopper',
      'the creators part names a video made before it ran',
    );

    await rename(store, personalData, ownerId, 'Grace B. Hopper');
    await publish(store, second, 'Second tutorial');
    await catchUp(store, db, 'creators first');
    t.equal((await rowOf(db, first))?.creator_name, 'Grace B. Hopper', 'the new name on the older video');
    t.equal((await rowOf(db, second))?.creator_name, 'Grace B. Hopper', 'and on a video made after the rename');
    t.match((await rowOf(db, second))?.document ?? '', /'grace':\d+B/, 'in its vector too');
    const settled = await everything(db);
    t.deepEqual(
      settled.words,
      [
        { word: 'grace', videos: 2 },
        { word: 'hopper', videos: 2 },
        { word: 'second', videos: 1 },
        { word: 'first', videos: 1 },
        { word: 'tutorial', videos: 2 },
      ].sort((a, b) => (`(${a.word},${a.videos})` < `(${b.word},${b.videos})` ? -1 : 1)),
      'each word of the titles and the name counted once per video (the old name’s words gone)',
    );

    // Delivered again: every position moved back, both parts read everything a second time.
    await db('subscriber_positions').whereIn('subscriber_id', Object.values(VIDEO_SEARCH_SUBSCRIBER_IDS)).delete();
    await catchUp(store, db, 'creators first', 2);
    t.deepEqual(
      await everything(db),
      settled,
      'replayed (in batches of two): the same rows; the older name does not come back',
    );

    // From nothing, in the other order and in small batches: the same rows.
    await db.transaction(async (trx) => {
      await trx('video_search').delete();
      await trx('video_search_creators').delete();
      await trx('video_search_words').delete();
      await trx('video_title_words').delete();
      await trx('video_search_ranks').delete();
      await trx('subscriber_positions').whereIn('subscriber_id', Object.values(VIDEO_SEARCH_SUBSCRIBER_IDS)).delete();
    });
    await catchUp(store, db, 'videos first', 3);
    t.deepEqual(await everything(db), settled, 'rebuilt from zero: the same rows');

    // An erased creator's name is forgotten: the rows stay (an erasure takes the videos down anyway).
    await personalData.erase(ownerId);
    await writeIdentity(store, ownerId, 'UserErased', { by: randomUUID() });
    await catchUp(store, db);
    t.equal((await rowOf(db, first))?.creator_name, null, 'the erased name is gone from the video');
    t.deepEqual(
      await db('video_search_creators').where({ user_id: ownerId }).pluck('user_id'),
      [],
      'and from the creators',
    );
    t.deepEqual(
      await db('video_search_words').whereIn('word', ['grace', 'hopper']).pluck('word'),
      [],
      'and from the words a misspelling is compared with',
    );
  },
);

scopedTest(
  'video-search: an older name applied after a newer one (a redelivery out of order) changes nothing',
  async (t, scope) => {
    const { urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const creators = projectionOf(videoSearchDefinition, VIDEO_SEARCH_SUBSCRIBER_IDS.creators);
    const userId = randomUUID();
    const videoId = randomUUID();
    await db('video_search').insert({
      video_id: videoId,
      owner_id: userId,
      title: 'A video',
      status: 'published',
      visibility: 'public',
      publishing_position: 1,
    });
    const named = (displayName: string, position: number) => ({
      change: { kind: 'name', userId, displayName },
      position,
    });
    await db.transaction((trx) => creators.apply([named('Newer name', 20)], trx));
    await db.transaction((trx) => creators.apply([named('Older name', 10)], trx));
    t.equal(
      await db('video_search_creators')
        .where({ user_id: userId })
        .first('display_name')
        .then((row: { display_name: string }) => row.display_name),
      'Newer name',
      'the creator keeps the newer name',
    );
    t.equal((await rowOf(db, { videoId, ownerId: userId }))?.creator_name, 'Newer name', 'and so does their video');
  },
);
