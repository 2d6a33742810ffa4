import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import test from 'tape';
import { catchUpFromZero } from '../../bench/catalog/catch-up.ts';
import {
  accountActivity,
  isListed,
  planCatalog,
  playbackReports,
  type CatalogPlan,
} from '../../bench/catalog/generate.ts';
import { BENCH_CREATOR_PASSWORD, seedCatalog } from '../../bench/catalog/write.ts';
import { applyCountingRule } from '../../src/aggregators/viewing-counts/rule.ts';
import { WATCHED_FRACTION } from '../../src/app/playback/queries.ts';
import { DEFAULTS } from '../../src/config/defaults.ts';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { authenticationSchemas, authenticationStreamName } from '../../src/contracts/authentication.ts';
import { playbackSchemas, playbackStreamName } from '../../src/contracts/playback.ts';
import { videoPublishingEventSchemas, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { messageVersions } from '../../src/contracts/versions.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { createPersonalData, type Sealed } from '../../src/personal-data/seal.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const SIZES = { videos: 30, creators: 5, viewings: 300, playback: 60, logins: 40, renames: 20 };

/** Plans the seed's catalog, seeds it into fresh databases (small statements, two writers, so batches interleave) and lets the system catch up. */
async function seeded(seed: string): Promise<{ plan: CatalogPlan; urls: DatabaseUrls }> {
  const plan = planCatalog(seed, SIZES);
  const urls = await freshDatabases();
  await seedCatalog(plan, { urls, logger: silentLogger, batchSize: 40, writers: 2 });
  await catchUpFromZero({ urls, logger: silentLogger, pollMs: 50, timeoutMs: 60_000 });
  return { plan, urls };
}

interface StoredMessage {
  id: string;
  stream_name: string;
  position: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  time: string;
}

/** Every message the seeding wrote (ours and the system's after it), oldest first. */
async function storedMessages(urls: DatabaseUrls): Promise<StoredMessage[]> {
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger: silentLogger, max: 1 });
  try {
    const result = await pool.query<StoredMessage>(
      'SELECT id, stream_name, position, type, data, metadata, time FROM messages ORDER BY global_position',
    );
    return result.rows;
  } finally {
    await pool.end();
  }
}

/** Sealed fields are sealed with a fresh key and IV each run: equal content, other bytes. */
const unsealed = (value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'sealed' in value
    ? '[sealed]'
    : typeof value === 'object' && value !== null
      ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unsealed(inner)]))
      : value;

/**
 * What the seeder wrote itself, in stream order: the same for the same seed. (What the system
 * wrote after, in answer to it, carries its cause in its metadata, and ids of its own.)
 */
const seededContent = (messages: readonly StoredMessage[]) =>
  messages
    .filter((message) =>
      /^(identity|identityEmail|identityHandle|videoPublishing|viewing|playback|authentication)-/.test(
        message.stream_name,
      ),
    )
    .filter((message) => message.metadata.causationMessageStreamName === undefined)
    .map((message) => ({
      id: message.id,
      stream: message.stream_name,
      position: Number(message.position),
      type: message.type,
      data: unsealed(message.data),
    }))
    .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.position - b.position));

/** The playback reports as stored, their video ids opened with the viewer's key, stream by stream in stream order. */
async function openedReports(db: Knex, messages: readonly StoredMessage[]) {
  const personalData = createPersonalData(db);
  const reports = messages
    .filter((message) => message.type === 'PlaybackProgressed')
    .sort((a, b) =>
      a.stream_name < b.stream_name ? -1 : a.stream_name > b.stream_name ? 1 : Number(a.position) - Number(b.position),
    );
  return Promise.all(
    reports.map(async ({ id, stream_name: stream, data }) => ({
      id,
      stream,
      userId: data.userId,
      videoId: await personalData.open(String(data.userId), data.videoId as Sealed),
      positionSeconds: data.positionSeconds,
      durationSeconds: data.durationSeconds,
    })),
  );
}

async function catalogOf(db: Knex) {
  return db('videos')
    .orderBy('video_id')
    .select('video_id', 'owner_id', 'name', 'description', 'status', 'visibility', 'views', 'duration_seconds');
}

test('bench catalog: the seeded store projects to the planned catalog, and a second run of the seed writes the same', async (t) => {
  const { plan, urls: first } = await seeded('catalog-test');
  const db = createAppDatabase(first.databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());

  // Listed as the catalog lists: converted, public, published.
  const listed = await db('videos')
    .where({ status: 'published', visibility: 'public' })
    .whereNotNull('published_at')
    .pluck('video_id');
  const planned = plan.videos.filter(isListed).map((video) => video.videoId);
  t.equal(listed.length, plan.fates.public, `${plan.fates.public} public videos listed`);
  t.deepEqual([...listed].sort(), [...planned].sort(), 'exactly the planned public ones');
  t.ok(
    plan.fates.draft > 0 && plan.fates.unlisted > 0 && plan.fates.deleted > 0 && plan.fates.takenDown > 0,
    'the plan has every kind of unlisted video',
  );
  const rows = new Map(
    (await catalogOf(db)).map((row: { video_id: string }) => [row.video_id, row as Record<string, unknown>]),
  );
  for (const video of plan.videos.filter((candidate) => !isListed(candidate))) {
    const row = rows.get(video.videoId);
    const expected =
      video.fate === 'draft' || video.fate === 'unpublished'
        ? { status: 'published', visibility: 'draft' }
        : video.fate === 'unlisted' || video.fate === 'madeUnlisted'
          ? { status: 'published', visibility: 'unlisted' }
          : { status: video.fate };
    t.deepEqual(
      { status: row?.status, ...('visibility' in expected && { visibility: row?.visibility }) },
      expected,
      `a ${video.fate} video is ${JSON.stringify(expected)}, not listed`,
    );
  }
  // Titles as planned, a renamed video's by its last rename.
  const activity = [...accountActivity(plan)];
  const renames = activity.filter((planned) => planned.message.type === 'VideoNamed');
  const titles = new Map(plan.videos.filter(isListed).map((video) => [video.videoId, video.name]));
  for (const { message } of renames) {
    const { videoId, name } = message.data as { videoId: string; name: string };
    titles.set(videoId, name);
  }
  const renamed = renames.map(({ message }) => (message.data as { videoId: string }).videoId);
  t.ok(
    renamed.some((videoId, index) => renamed.indexOf(videoId) !== index),
    'a video renamed twice, so the names are checked in order',
  );
  t.ok(
    renames.some(({ message }) => {
      const { videoId, name } = message.data as { videoId: string; name: string };
      return plan.videos.find((video) => video.videoId === videoId)?.name !== name;
    }),
    'a rename gives a new title',
  );
  t.deepEqual(
    Object.fromEntries(planned.map((videoId) => [videoId, rows.get(videoId)?.name])),
    Object.fromEntries(titles),
    'titles as planned, renamed ones by their last rename',
  );

  const profiles = await db('user_profiles').orderBy('user_id').select('user_id', 'display_name', 'handle');
  t.deepEqual(
    profiles,
    [...plan.creators]
      .sort((a, b) => (a.userId < b.userId ? -1 : 1))
      .map((creator) => ({ user_id: creator.userId, display_name: creator.displayName, handle: creator.handle })),
    'every creator has their display name and handle',
  );

  const credentials = await db('user_credentials').select('email', 'password_hash', 'email_verified');
  t.equal(credentials.length, SIZES.creators, 'every creator can log in…');
  t.ok(
    credentials.every((row: { email_verified: boolean }) => row.email_verified),
    '…with a confirmed address…',
  );
  t.ok(
    await bcrypt.compare(BENCH_CREATOR_PASSWORD, String(credentials[0]?.password_hash)),
    '…and the benchmark password',
  );

  // Log-ins: in each creator's authentication stream, counted on the admin's user page.
  const messages = await storedMessages(first);
  const logIns = messages.filter((message) => message.type === 'UserLoggedIn');
  t.equal(logIns.length, SIZES.logins, `${SIZES.logins} log-ins written`);
  t.ok(
    logIns.every(
      (message) =>
        authenticationSchemas.UserLoggedIn.safeParse(message.data).success &&
        message.stream_name === authenticationStreamName(String(message.data.userId)) &&
        plan.creators.some((creator) => creator.userId === message.data.userId) &&
        message.metadata.userId === message.data.userId &&
        typeof message.metadata.traceId === 'string' &&
        message.metadata.schemaVersion === messageVersions.currentVersion('UserLoggedIn'),
    ),
    "each passes the contract, in a creator's own authentication stream, as the log-in form writes it",
  );
  const storedRenames = messages.filter(
    (message) => message.type === 'VideoNamed' && renames.some((planned) => planned.message.id === message.id),
  );
  t.equal(storedRenames.length, SIZES.renames, `${SIZES.renames} renames written`);
  t.ok(
    storedRenames.every((message) => {
      const video = plan.videos.find((candidate) => candidate.videoId === message.data.videoId);
      return (
        videoPublishingEventSchemas.VideoNamed.safeParse(message.data).success &&
        message.stream_name === videoPublishingStreamName(String(message.data.videoId)) &&
        message.metadata.userId === video?.ownerId &&
        message.metadata.schemaVersion === messageVersions.currentVersion('VideoNamed')
      );
    }),
    "each passes the contract, in the video's stream, by its owner",
  );
  const counts = await db('admin_users').whereNotNull('user_id').select('user_id', 'log_ins');
  t.equal(
    counts.reduce((sum: number, row: { log_ins: number }) => sum + Number(row.log_ins), 0),
    SIZES.logins,
    'the admin pages count every log-in',
  );

  // The counts follow the rule: one per visitor and video per window, on the store's clock.
  const viewings = messages.filter((message) => message.type === 'VideoViewed');
  t.equal(viewings.length, SIZES.viewings, `${SIZES.viewings} viewings written`);
  const { counted } = applyCountingRule(
    viewings.map((message) => ({
      videoId: String(message.data.videoId).toLowerCase(),
      visitorKey: message.data.visitorKey as string,
      time: new Date(`${message.time.replace(' ', 'T')}Z`),
    })),
    new Map(),
    DEFAULTS.viewingCountWindowMs,
  );
  const expectedViews = new Map<string, number>();
  viewings.forEach((message, index) => {
    if (counted[index])
      expectedViews.set(String(message.data.videoId), (expectedViews.get(String(message.data.videoId)) ?? 0) + 1);
  });
  const total = counted.filter(Boolean).length;
  t.ok(total < SIZES.viewings, `reloads within the window are not counted (${total} of ${SIZES.viewings})`);
  t.equal(
    Number((await db('home_page').where({ page_name: 'home' }).first('videos_watched'))?.videos_watched),
    total,
    'the home page counts them by the rule',
  );
  const views = Object.fromEntries(
    [...rows].filter(([, row]) => Number(row.views) > 0).map(([id, row]) => [id, Number(row.views)]),
  );
  t.deepEqual(views, Object.fromEntries(expectedViews), "each video's count follows the rule");

  // Playback reports: as the app writes them, in each viewer's stream in the plan's order, and
  // projected to where each viewer stopped in each video (the latest report of each).
  const reports = messages.filter((message) => message.type === 'PlaybackProgressed');
  t.equal(reports.length, SIZES.playback, `${SIZES.playback} playback reports written`);
  t.ok(
    reports.every(
      (message) =>
        playbackSchemas.PlaybackProgressed.safeParse(message.data).success &&
        message.stream_name === playbackStreamName(String(message.data.userId)) &&
        message.metadata.userId === message.data.userId &&
        typeof message.metadata.traceId === 'string' &&
        message.metadata.schemaVersion === messageVersions.currentVersion('PlaybackProgressed'),
    ),
    "each passes the contract, in its viewer's stream, with the current version",
  );
  const plannedReports = [...playbackReports(plan)];
  const opened = await openedReports(db, messages);
  t.deepEqual(
    opened,
    plannedReports
      .map(({ id, userId, videoId, positionSeconds, durationSeconds }) => ({
        id,
        stream: playbackStreamName(userId),
        userId,
        videoId,
        positionSeconds,
        durationSeconds,
      }))
      .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0)),
    'their video ids open with the viewer’s key to the planned ones, in the planned order',
  );
  const stopped = new Map<
    string,
    { user_id: string; video_id: string; position_seconds: number; duration_seconds: number }
  >();
  for (const { userId, videoId, positionSeconds, durationSeconds } of plannedReports)
    stopped.set(`${userId}/${videoId}`, {
      user_id: userId,
      video_id: videoId,
      position_seconds: positionSeconds,
      duration_seconds: durationSeconds,
    });
  const positions = await db('playback_positions')
    .orderBy(['user_id', 'video_id'])
    .select('user_id', 'video_id', 'position_seconds', 'duration_seconds');
  t.deepEqual(
    positions,
    [...stopped.values()].sort((a, b) =>
      a.user_id !== b.user_id ? (a.user_id < b.user_id ? -1 : 1) : a.video_id < b.video_id ? -1 : 1,
    ),
    `the playback projection holds each viewer's latest position in each video (${positions.length} rows)`,
  );
  t.ok(
    opened.some((report, index) => {
      const next = opened[index + 1];
      return (
        next?.stream === report.stream &&
        next.videoId === report.videoId &&
        Number(next.positionSeconds) > Number(report.positionSeconds)
      );
    }),
    'some watches were reported several times, further each time',
  );
  const finished = positions.filter((row) => row.position_seconds >= row.duration_seconds * WATCHED_FRACTION).length;
  t.ok(finished > 0 && finished < positions.length, `some watched to the end (${finished}), most stopped part-way`);
  t.ok(
    plan.videos
      .filter((video) => !isListed(video))
      .every((video) => !positions.some((row) => row.video_id === video.videoId)),
    'only listed videos are reported',
  );

  // The same seed into other fresh databases: the same messages, the same catalog and profiles.
  const { urls: second } = await seeded('catalog-test');
  const again = createAppDatabase(second.databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => again.destroy());
  const secondMessages = await storedMessages(second);
  t.deepEqual(
    seededContent(secondMessages),
    seededContent(messages),
    'the same messages (ids too) in the same streams, in the same order',
  );
  t.deepEqual(
    await openedReports(again, secondMessages),
    opened,
    'the same playback reports once their video ids are opened',
  );
  t.deepEqual(await catalogOf(again), await catalogOf(db), 'the same catalog');
  t.deepEqual(
    await again('user_profiles').orderBy('user_id').select('user_id', 'display_name', 'handle'),
    profiles,
    'the same profiles',
  );

  const other = planCatalog('another seed', SIZES);
  t.notDeepEqual(
    other.videos.map((video) => video.name),
    plan.videos.map((video) => video.name),
    'another seed plans another catalog',
  );
});
