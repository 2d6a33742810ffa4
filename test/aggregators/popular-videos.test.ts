// "Most watched this week": viewings counted by the counting rule per video and week of seven UTC
// days (src/aggregators/popular-videos), read for the week ending on the clock's day (src/app/home/popular.ts).
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { liveSubscription, projectionOf, projectionSettings } from '../../src/aggregators/definition.ts';
import { popularVideosDefinition, POPULAR_VIDEOS_SUBSCRIBER_ID } from '../../src/aggregators/popular-videos/index.ts';
import { mostWatchedPage } from '../../src/app/home/popular.ts';
import { viewingStreamName, type VideoViewed } from '../../src/contracts/viewing.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const WINDOW_MINUTES = 30;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** "Now" in these tests: a Thursday afternoon, UTC. */
const NOW = Date.parse('2026-12-10T15:00:00Z');

interface Viewing {
  readonly videoId: string;
  /** Null: a viewing written before viewings named their visitor (version 2), which always counts. */
  readonly visitor: string | null;
  /** When the store recorded it, in ms since the epoch: the counting rule's clock. */
  readonly at: number;
}

async function openSuperuser(scope: Scope, url: string): Promise<pg.Client> {
  const client = scope.add(
    new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' }),
    (c) => c.end(),
  );
  await client.connect();
  return client;
}

/** Writes each viewing and dates it as if written at `at` (dating takes the server's superuser: the app's role may not change the log). */
async function writeViewings(store: MessageStore, superuser: pg.Client, viewings: readonly Viewing[]): Promise<void> {
  for (const { videoId, visitor, at } of viewings) {
    const id = randomUUID();
    if (visitor === null) {
      await superuser.query(`SELECT write_message($1, $2, 'VideoViewed', $3, '{"schemaVersion":"2"}')`, [
        id,
        viewingStreamName(videoId),
        JSON.stringify({ videoId, userId: null, source: 'button' }),
      ]);
    } else {
      const viewed: VideoViewed = {
        id,
        type: 'VideoViewed',
        data: { videoId, userId: null, source: 'watch-page', visitorKey: visitor },
        metadata: {},
      };
      await store.write(viewingStreamName(videoId), viewed);
    }
    await superuser.query('UPDATE messages SET time = $2 WHERE id = $1', [
      id,
      new Date(at).toISOString().replace('Z', ''),
    ]);
  }
}

type Listing = { status?: string; visibility?: string; published?: boolean };

/** A row of the catalog as the videos aggregator keeps it: listed (public, published) unless told otherwise. */
async function catalogVideo(
  db: Knex,
  { status = 'published', visibility = 'public', published = true }: Listing = {},
): Promise<string> {
  const videoId = randomUUID();
  await db('videos').insert({
    video_id: videoId,
    owner_id: randomUUID(),
    name: `Video ${videoId.slice(0, 8)}`,
    status,
    visibility,
    transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
    poster_uri: `video-store:posters/${videoId}.jpg`,
    duration_seconds: 10,
    published_at: published ? new Date(NOW - 30 * DAY) : null,
  });
  return videoId;
}

function live(db: Knex, store: MessageStore, batchSize = 100) {
  return liveSubscription(popularVideosDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    viewingCountWindowMs: WINDOW_MINUTES * 60_000,
    subscription: { retry: FAST_RETRY, batchSize },
  });
}

/** The week's ranking at `now`, as [video, views in the week] pairs. */
async function ranking(db: Knex, now: number, pageSize = 50): Promise<Array<[string, number]>> {
  const page = await mostWatchedPage(db, pageSize, { now: new Date(now) });
  return page.videos.map((video) => [video.videoId, video.weekViews]);
}

const visitor = (n: number) => `visitor-${String(n).padStart(3, '0')}-key-0000000000`;

scopedTest(
  'popular videos: the week slides with the clock; only viewings of today and the six UTC days before count',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [old, recent] = [await catalogVideo(db), await catalogVideo(db)];
    await writeViewings(store, superuser, [
      // Eight days ago, by three visitors: the most watched of its week, not of this one.
      ...[1, 2, 3].map((n) => ({ videoId: old, visitor: visitor(n), at: NOW - 8 * DAY })),
      // And one now.
      { videoId: old, visitor: visitor(1), at: NOW - HOUR },
      // Two days ago and now, by two visitors.
      { videoId: recent, visitor: visitor(4), at: NOW - 2 * DAY },
      { videoId: recent, visitor: visitor(5), at: NOW },
    ]);
    await drain(scope.running(live(db, store, 2)));

    t.deepEqual(
      await ranking(db, NOW),
      [
        [recent, 2],
        [old, 1],
      ],
      'now: the recent video first with 2; the old one has only its 1 viewing of this week',
    );
    t.deepEqual(
      await ranking(db, NOW - 7 * DAY),
      [[old, 3]],
      'a week ago, the clock moved back: the three viewings of eight days ago were that week’s, nothing since yet',
    );
    const tied = [recent, old].sort().reverse();
    t.deepEqual(
      await ranking(db, NOW + 5 * DAY),
      tied.map((id) => [id, 1]),
      'five days on: the viewing of two days ago dropped out, today’s remain, 1 each, ties by video id (descending)',
    );
    t.deepEqual(
      await ranking(db, NOW + 7 * DAY),
      [],
      'seven days on: today’s viewings have left the week too; nothing listed',
    );

    // The edges, by UTC day: a viewing at 00:00 six days before today's date counts; one at 23:59 seven days before does not.
    const today = Date.parse('2026-12-10T00:00:00Z');
    const edge = await catalogVideo(db);
    await writeViewings(store, superuser, [
      { videoId: edge, visitor: visitor(6), at: today - 6 * DAY },
      { videoId: edge, visitor: visitor(7), at: today - 6 * DAY - 60_000 },
    ]);
    await drain(scope.running(live(db, store)));
    t.deepEqual(
      (await ranking(db, NOW)).find(([id]) => id === edge),
      [edge, 1],
      'the week is today and the six UTC days before: 2026-12-04 00:00 is in, 2026-12-03 23:59 is out',
    );
    t.deepEqual(
      (await ranking(db, Date.parse('2026-12-10T23:59:59Z'))).find(([id]) => id === edge),
      [edge, 1],
      'the same all day long, to the last second of the day',
    );
    t.equal(
      (await ranking(db, Date.parse('2026-12-11T00:00:00Z'))).find(([id]) => id === edge),
      undefined,
      'and gone at midnight UTC',
    );
  },
);

scopedTest(
  'popular videos: counted by the counting rule: one viewing per visitor and video per window, old unnamed viewings each',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const [replayed, many] = [await catalogVideo(db), await catalogVideo(db)];
    await writeViewings(store, superuser, [
      // One visitor pressing play every ten minutes for an hour: counted at 0, 30 and 60 minutes.
      ...[0, 10, 20, 30, 40, 50, 60].map((minutes) => ({
        videoId: replayed,
        visitor: visitor(1),
        at: NOW - 2 * HOUR + minutes * 60_000,
      })),
      // Two visitors once each, and two viewings that name nobody (written before visitors were named).
      { videoId: many, visitor: visitor(2), at: NOW - HOUR },
      { videoId: many, visitor: visitor(3), at: NOW - HOUR },
      { videoId: many, visitor: null, at: NOW - HOUR },
      { videoId: many, visitor: null, at: NOW - HOUR },
    ]);
    await drain(scope.running(live(db, store, 3)));
    t.deepEqual(
      await ranking(db, NOW),
      [
        [many, 4],
        [replayed, 3],
      ].sort((a, b) => Number(b[1]) - Number(a[1])) as Array<[string, number]>,
      'four and three',
    );
    const windows = await db('popular_video_viewers').whereIn('video_id', [replayed, many]).count({ n: '*' }).first();
    t.equal(Number(windows?.n), 3, 'its own windows: one per visitor and video');
  },
);

scopedTest(
  'popular videos: the same viewings delivered twice count once, and a position moved back is held by the rows’ guard',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const videoId = await catalogVideo(db);
    await writeViewings(store, superuser, [
      { videoId, visitor: visitor(1), at: NOW - 2 * DAY },
      { videoId, visitor: visitor(1), at: NOW - 2 * DAY + 10 * 60_000 },
      { videoId, visitor: visitor(2), at: NOW - DAY },
      // Names nobody: only the guard keeps it from counting twice (the windows do for the others).
      { videoId, visitor: null, at: NOW - HOUR },
    ]);
    const batch = await store.readCategory('viewing');
    const projection = projectionOf(
      popularVideosDefinition,
      POPULAR_VIDEOS_SUBSCRIBER_ID,
      projectionSettings(WINDOW_MINUTES * 60_000),
    );
    const deliver = (messages: typeof batch) =>
      createAggregatorProcessor({ db, subscriberId: POPULAR_VIDEOS_SUBSCRIBER_ID, projection }).process(
        messages,
        0,
        processorContext(),
      );
    const rows = () =>
      db('video_weekly_views')
        .where({ video_id: videoId })
        .orderBy('week_ending')
        .select(db.raw('week_ending::text AS week_ending'), 'views');
    const guard = () => db('popular_video_positions').where({ video_id: videoId }).pluck('position');
    const windows = () => db('popular_video_viewers').where({ video_id: videoId }).orderBy('visitor_key').select('*');

    // Two deliveries from position 0, as after a crash that lost the in-memory position.
    for (let delivery = 0; delivery < 2; delivery += 1) await deliver(batch);
    const once = { rows: await rows(), windows: await windows(), guard: await guard() };
    t.deepEqual(once.guard.map(Number), [batch.at(-1)!.globalPosition], 'the guard: the last viewing taken in');
    t.deepEqual(
      once.rows.map((row: { week_ending: string; views: string }) => [row.week_ending, Number(row.views)]),
      [
        ['2026-12-08', 1],
        ['2026-12-09', 2],
        ['2026-12-10', 3],
        ['2026-12-11', 3],
        ['2026-12-12', 3],
        ['2026-12-13', 3],
        ['2026-12-14', 3],
        ['2026-12-15', 2],
        ['2026-12-16', 1],
      ],
      'one row per week each viewing is in (ending on its day and the six after): visitor 1 once (the second inside the window) on the 8th, visitor 2 on the 9th, the unnamed one on the 10th',
    );
    t.deepEqual(await ranking(db, NOW), [[videoId, 3]], 'three this week');

    // An operator moves the position back without clearing the rows: each viewing again, one at a time.
    await db('subscriber_positions').where({ subscriber_id: POPULAR_VIDEOS_SUBSCRIBER_ID }).del();
    for (const viewing of batch) await deliver([viewing]);
    t.deepEqual(
      { rows: await rows(), windows: await windows(), guard: await guard() },
      once,
      'replayed over the rows: nothing counted twice, no window moved',
    );
  },
);

scopedTest(
  'popular videos: only public, published videos are ranked: never a draft, an unlisted, a taken-down, a deleted or an unconverted one',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const listed = await catalogVideo(db);
    const hidden = {
      draft: await catalogVideo(db, { visibility: 'draft' }),
      unlisted: await catalogVideo(db, { visibility: 'unlisted' }),
      takenDown: await catalogVideo(db, { status: 'takenDown' }),
      deleted: await catalogVideo(db, { status: 'deleted' }),
      converting: await catalogVideo(db, { status: null as unknown as string, published: false }),
      // Viewed before any of its publishing events reached the catalog: no row at all.
      unknown: randomUUID(),
    };
    await writeViewings(store, superuser, [
      { videoId: listed, visitor: visitor(1), at: NOW },
      // Each hidden one far more watched than the listed one.
      ...Object.values(hidden).flatMap((videoId) => [2, 3, 4].map((n) => ({ videoId, visitor: visitor(n), at: NOW }))),
    ]);
    await drain(scope.running(live(db, store)));
    t.equal(
      Number((await db('video_weekly_views').where({ week_ending: '2026-12-10' }).count({ n: '*' }).first())?.n),
      7,
      'every video’s viewings are counted',
    );
    t.deepEqual(await ranking(db, NOW), [[listed, 1]], 'only the public, published one is listed');
  },
);

scopedTest(
  'popular videos: keyset pages over the ranking, ties by video id, every video once and in order',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const superuser = await openSuperuser(scope, urls.messageStoreUrl);
    const videos: Array<[string, number]> = [];
    // 11 videos with 1, 2 or 3 viewings each: long runs of ties.
    for (let n = 0; n < 11; n += 1) videos.push([await catalogVideo(db), (n % 3) + 1]);
    await writeViewings(
      store,
      superuser,
      videos.flatMap(([videoId, count]) =>
        Array.from({ length: count }, (_, k) => ({ videoId, visitor: visitor(k), at: NOW - k * HOUR })),
      ),
    );
    await drain(scope.running(live(db, store)));
    const expected = [...videos].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1));
    const seen: Array<[string, number]> = [];
    let after;
    let pages = 0;
    do {
      const page = await mostWatchedPage(db, 4, { now: new Date(NOW), after });
      seen.push(...page.videos.map((video): [string, number] => [video.videoId, video.weekViews]));
      after = page.next;
      pages += 1;
    } while (after);
    t.equal(pages, 3, 'pages of 4, 4 and 3');
    t.deepEqual(seen, expected, 'every video once, most watched first, ties by id: no duplicate, no gap');
  },
);
