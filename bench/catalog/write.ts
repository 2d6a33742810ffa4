import { performance } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import type { Knex } from 'knex';
import type pg from 'pg';
import { registrationEmailId } from '../../src/components/identity/ids.ts';
import { identityEmailStreamName, identityHandleStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { playbackStreamName, type PlaybackProgressed } from '../../src/contracts/playback.ts';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { messageVersions } from '../../src/contracts/versions.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import type { Logger } from '../../src/logger.ts';
import {
  assertStreamName,
  categoryOf,
  createMessageStorePool,
  type VersionRegistry,
} from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData } from '../../src/personal-data/seal.ts';
import {
  accountActivity,
  playbackReports,
  seededRandom,
  videoMessages,
  viewingBatches,
  type CatalogPlan,
  type Creator,
  type Planned,
  type PlannedReport,
} from './generate.ts';

/** The password every benchmark creator has (they are throwaway accounts on throwaway databases). */
export const BENCH_CREATOR_PASSWORD = 'bench-password';

export interface WriteOptions {
  /** The message store's pool (createMessageStorePool: Message DB's role and search path). */
  readonly pool: pg.Pool;
  /** The app database, for the personal-data keys that seal the creators' fields and the playback reports' videos. */
  readonly db: Knex;
  readonly versions: Pick<VersionRegistry, 'currentVersion'>;
  /** Messages per write_message statement (one transaction). */
  readonly batchSize: number;
  /** Statements in flight at once (the pool should have at least as many connections). */
  readonly writers: number;
  readonly onProgress?: (progress: WriteProgress) => void;
}

export interface WriteProgress {
  readonly phase: Phase;
  readonly written: number;
  readonly total: number;
}

export type Phase = 'creators' | 'videos' | 'viewings' | 'playback' | 'activity';

export interface PhaseFigures {
  readonly phase: Phase;
  readonly messages: number;
  readonly ms: number;
}

/**
 * Writes `messages` in one statement, so one transaction: Message DB's write_message once per
 * message, in order (a stream's messages take their positions in the order given). Each message's
 * metadata says which version of its data it carries, as the store's own write stamps it.
 */
export async function writeMessages(
  pool: pg.Pool,
  versions: Pick<VersionRegistry, 'currentVersion'>,
  messages: readonly Planned[],
): Promise<void> {
  if (messages.length === 0) return;
  for (const { stream } of messages) assertStreamName(stream);
  await pool.query(
    `SELECT count(write_message(m.id, m.stream, m.type, m.data, m.metadata))
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[]) AS m (id, stream, type, data, metadata)`,
    [
      messages.map(({ message }) => message.id),
      messages.map(({ stream }) => stream),
      messages.map(({ message }) => message.type),
      messages.map(({ message }) => JSON.stringify(message.data ?? {})),
      messages.map(({ message }) =>
        JSON.stringify({
          ...message.metadata,
          schemaVersion: message.metadata.schemaVersion ?? versions.currentVersion(message.type),
        }),
      ),
    ],
  );
}

/**
 * The batch with its categories in one order (by name; a stream's messages keep theirs): Message
 * DB's write_message takes a lock per category, held to the statement's commit, so two
 * statements side by side that met two categories in opposite orders would deadlock.
 */
export function inLockOrder(messages: readonly Planned[]): Planned[] {
  const category = (planned: Planned) => categoryOf(planned.stream);
  return [...messages].sort((a, b) => (category(a) < category(b) ? -1 : category(a) > category(b) ? 1 : 0));
}

/** Runs `work` on every item, at most `concurrency` at once, in the order the items come. */
async function inParallel<T>(items: Iterable<T>, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed: unknown;
  const worker = async () => {
    for (let next = iterator.next(); !next.done && failed === undefined; next = iterator.next()) {
      try {
        await work(next.value);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(String(failed));
}

/**
 * Batches of about `size` messages made of whole units (a creator's or a video's messages): a
 * unit's streams are its own, so batches written side by side never race for a stream's positions.
 */
function* wholeUnits(units: Iterable<readonly Planned[]>, size: number): Generator<Planned[]> {
  let batch: Planned[] = [];
  for (const unit of units) {
    batch.push(...unit);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** A stream's lane: the same stream always goes to the same writer, so its positions follow the plan's order. */
function laneOf(stream: string, lanes: number): number {
  let hash = 0;
  for (let i = 0; i < stream.length; i += 1) hash = (Math.imul(hash, 31) + stream.charCodeAt(i)) | 0;
  return (hash >>> 0) % lanes;
}

/**
 * A registration as the identity component records one for a Register from the form: the address
 * reserved, the handle reserved, Registered with every personal field sealed with the user's key
 * (made in the app database's key store, as the register form's seal makes it), then the address
 * confirmed as the welcome email's link would. The welcome email itself is left to identity and
 * send-email once the system runs (into a temporary MAIL_DIR).
 */
async function registrationMessages(
  creator: Creator,
  passwordHash: string,
  seal: (userId: string, value: string) => Promise<unknown>,
  nextId: () => string,
) {
  const { userId } = creator;
  const [email, sealedHash, displayName, handle] = await Promise.all([
    seal(userId, creator.email),
    seal(userId, passwordHash),
    seal(userId, creator.displayName),
    seal(userId, creator.handle),
  ]);
  const metadata = { traceId: nextId(), userId };
  const planned = (stream: string, type: string, data: unknown): Planned => ({
    stream,
    message: { id: nextId(), type, data, metadata },
  });
  return [
    planned(identityEmailStreamName(creator.email), 'EmailReserved', { email, userId }),
    planned(identityHandleStreamName(creator.handle), 'HandleReserved', { handle, userId }),
    planned(identityStreamName(userId), 'Registered', { userId, email, passwordHash: sealedHash, displayName, handle }),
    planned(identityStreamName(userId), 'EmailVerified', { userId, requestId: registrationEmailId(userId) }),
  ];
}

/**
 * A report as the playback app writes it for the player's POST: the video id sealed with the
 * viewer's key (made on first use, as the app's seal makes it), to the viewer's own stream.
 */
async function progressed(report: PlannedReport, personalData: PersonalData): Promise<Planned> {
  const { id, traceId, userId, videoId, positionSeconds, durationSeconds } = report;
  const message: PlaybackProgressed = {
    id,
    type: 'PlaybackProgressed',
    data: { userId, videoId: await personalData.seal(userId, videoId), positionSeconds, durationSeconds },
    metadata: { traceId, userId },
  };
  return { stream: playbackStreamName(userId), message };
}

/** Playback reports held at once before they are written (sealed a batch at a time as they go). */
const PLAYBACK_ROUND = 50_000;

/**
 * Writes the plan into an empty store: the creators, then the videos, then the viewings day by
 * day from the oldest, then the playback reports, then the log-ins and renames, each phase
 * finished before the next begins (a video's owner is registered before it, a viewing's or a
 * report's video published before it).
 * Within a phase, `writers` statements of `batchSize` messages run at once. Every message goes
 * through Message DB's write_message, so the store's `time` is the moment of writing: see
 * docs/benchmarks.md for what that means for the viewings' 30 simulated days.
 */
export async function writeCatalog(plan: CatalogPlan, options: WriteOptions): Promise<PhaseFigures[]> {
  const { pool, db, versions, batchSize, writers, onProgress } = options;
  const figures: PhaseFigures[] = [];
  const personalData = createPersonalData(db);

  const phase = async (
    name: Phase,
    total: number,
    batches: Iterable<readonly Planned[]>,
    began = performance.now(),
  ) => {
    let written = 0;
    onProgress?.({ phase: name, written, total });
    await inParallel(batches, writers, async (batch) => {
      await writeMessages(pool, versions, batch);
      written += batch.length;
      onProgress?.({ phase: name, written, total });
    });
    figures.push({ phase: name, messages: written, ms: performance.now() - began });
  };

  // Creators: sealing takes a key row each, so their messages are made first, a few at a time.
  const sealing = performance.now();
  const creatorIds = seededRandom(`${plan.seed}/creator-messages`);
  const passwordHash = await bcrypt.hash(BENCH_CREATOR_PASSWORD, 4);
  const registrations: Planned[][] = new Array<Planned[]>(plan.creators.length);
  // Ids are drawn in creator order, before any sealing interleaves.
  const ids = plan.creators.map(() => Array.from({ length: 5 }, () => creatorIds.uuid()));
  await inParallel(
    plan.creators.map((creator, index) => ({ creator, index })),
    writers,
    async ({ creator, index }) => {
      const own = [...ids[index]!];
      registrations[index] = await registrationMessages(
        creator,
        passwordHash,
        (userId, value) => personalData.seal(userId, value),
        () => own.shift()!,
      );
    },
  );
  await phase('creators', registrations.flat().length, wholeUnits(registrations, batchSize), sealing);

  const videoUnits = function* (): Generator<Planned[]> {
    const videoIds = seededRandom(`${plan.seed}/video-messages`);
    for (const video of plan.videos) yield videoMessages(video, videoIds);
  };
  let videoTotal = 0;
  for (const unit of videoUnits()) videoTotal += unit.length;
  // A second pass with the same seed makes the same messages: counted first, then written.
  await phase('videos', videoTotal, wholeUnits(videoUnits(), batchSize));

  // Each writer takes the streams of its lane, in the plan's order: a stream's messages take the
  // same positions in every run, however the writers' commits interleave.
  const inLanes = async <T>(lanes: readonly (readonly T[])[], write: (batch: readonly T[]) => Promise<void>) => {
    await Promise.all(
      lanes.map(async (lane) => {
        for (let start = 0; start < lane.length; start += batchSize) await write(lane.slice(start, start + batchSize));
      }),
    );
  };

  // Day by day, so a day's viewings all come after the day before's in the store's order.
  const began = performance.now();
  let written = 0;
  const writeDay = (lanes: readonly Planned[][]) =>
    inLanes(lanes, async (batch) => {
      await writeMessages(pool, versions, batch);
      written += batch.length;
      onProgress?.({ phase: 'viewings', written, total: plan.sizes.viewings });
    });
  let day: number | undefined;
  let lanes: Planned[][] = [];
  for (const { daysAgo, messages } of viewingBatches(plan, batchSize)) {
    if (daysAgo !== day) {
      await writeDay(lanes);
      day = daysAgo;
      lanes = Array.from({ length: writers }, () => []);
    }
    for (const planned of messages) lanes[laneOf(planned.stream, writers)]!.push(planned);
  }
  await writeDay(lanes);
  figures.push({ phase: 'viewings', messages: written, ms: performance.now() - began });

  // The playback reports, by viewer stream in lanes as the viewings, a round at a time: a viewer's
  // reports of one watch land in their stream in the order they were made. Sealing is part of
  // the phase's time, as for the creators.
  const playbackBegan = performance.now();
  let reported = 0;
  const writeReports = (lanes: readonly PlannedReport[][]) =>
    inLanes(lanes, async (batch) => {
      await writeMessages(pool, versions, await Promise.all(batch.map((report) => progressed(report, personalData))));
      reported += batch.length;
      onProgress?.({ phase: 'playback', written: reported, total: plan.sizes.playback });
    });
  const noLanes = () => Array.from({ length: writers }, (): PlannedReport[] => []);
  let round = noLanes();
  let held = 0;
  onProgress?.({ phase: 'playback', written: reported, total: plan.sizes.playback });
  for (const report of playbackReports(plan)) {
    round[laneOf(playbackStreamName(report.userId), writers)]!.push(report);
    held += 1;
    if (held === PLAYBACK_ROUND) {
      await writeReports(round);
      round = noLanes();
      held = 0;
    }
  }
  await writeReports(round);
  figures.push({ phase: 'playback', messages: reported, ms: performance.now() - playbackBegan });

  // Log-ins and renames, in lanes as the viewings: a video renamed twice keeps its names' order.
  // A tenth of a million at most, so held at once.
  const activityBegan = performance.now();
  let active = 0;
  const activity = [...accountActivity(plan)];
  const activityLanes = Array.from({ length: writers }, (): Planned[] => []);
  for (const planned of activity) activityLanes[laneOf(planned.stream, writers)]!.push(planned);
  onProgress?.({ phase: 'activity', written: active, total: activity.length });
  await inLanes(activityLanes, async (batch) => {
    await writeMessages(pool, versions, inLockOrder(batch));
    active += batch.length;
    onProgress?.({ phase: 'activity', written: active, total: activity.length });
  });
  figures.push({ phase: 'activity', messages: active, ms: performance.now() - activityBegan });
  return figures;
}

export interface SeedOptions {
  readonly urls: DatabaseUrls;
  readonly logger: Logger;
  readonly batchSize?: number;
  readonly writers?: number;
  readonly onProgress?: (progress: WriteProgress) => void;
}

/** Writes the plan into the (prepared, empty) databases `urls` names, through pools of its own. */
export async function seedCatalog(
  plan: CatalogPlan,
  { urls, logger, batchSize = 1_000, writers = 3, onProgress }: SeedOptions,
): Promise<PhaseFigures[]> {
  const pool = createMessageStorePool(urls.messageStoreUrl, {
    logger,
    max: writers,
    limits: { statementTimeoutMs: 300_000, queryTimeoutMs: 310_000 },
  });
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: writers });
  try {
    return await writeCatalog(plan, {
      pool,
      db,
      versions: messageVersions,
      batchSize,
      writers,
      ...(onProgress && { onProgress }),
    });
  } finally {
    await pool.end();
    await db.destroy();
  }
}
