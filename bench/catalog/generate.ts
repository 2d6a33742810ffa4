import { WATCHED_FRACTION } from '../../src/app/playback/queries.ts';
import { authenticationStreamName } from '../../src/contracts/authentication.ts';
import { POSTER_CANDIDATES, videoPublishingStreamName, type Visibility } from '../../src/contracts/video-publishing.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import type { Message } from '../../src/message-store/index.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';
import {
  CHANNEL_WORDS,
  CONCEPTS,
  FIRST_NAMES,
  LAST_NAMES,
  LEVELS,
  OUTCOMES,
  PROJECTS,
  TECHNOLOGIES,
  VERBS,
} from './words.ts';

/**
 * The benchmark catalog, planned from a seed alone: the same seed and sizes give the same
 * creators, videos, titles, ids and viewings, so two runs are comparable. Nothing here touches a
 * database; write.ts writes what this plans.
 */

export interface CatalogSizes {
  readonly videos: number;
  readonly creators: number;
  readonly viewings: number;
  /** Playback reports (PlaybackProgressed) of logged-in viewers. */
  readonly playback: number;
  /** Creators' log-ins (UserLoggedIn). */
  readonly logins: number;
  /** Listed videos renamed by their creators after publishing (a second VideoNamed). */
  readonly renames: number;
}

/**
 * The catalog of issue 19. Playback reports are 15 % of the viewings' number: the logged-in
 * viewers' share (LOGGED_IN_SHARE). No log-ins or renames, so its figures stay comparable with
 * those measured before they existed.
 */
export const FULL_SIZES: CatalogSizes = {
  videos: 100_000,
  creators: 1_000,
  viewings: 2_000_000,
  playback: 300_000,
  logins: 0,
  renames: 0,
};

/**
 * Issue 20's store of about ten million messages: the same catalog, 4.55 times the viewings over
 * the same 30 simulated days, and the creators' log-ins and renames.
 */
export const TEN_MILLION_SIZES: CatalogSizes = {
  ...FULL_SIZES,
  viewings: 9_100_000,
  logins: 100_000,
  renames: 10_000,
};

/** The sizes `--profile` names. */
export const PROFILES: Readonly<Record<string, CatalogSizes>> = { '100k': FULL_SIZES, '10m': TEN_MILLION_SIZES };

/** What becomes of a video after it is converted. Only `public` is listed. */
export type Fate = 'public' | 'draft' | 'unpublished' | 'unlisted' | 'madeUnlisted' | 'deleted' | 'takenDown';

/** The share of each fate but `public` (which takes the rest): a few percent, so every filter is exercised. */
const FATE_SHARES: ReadonlyArray<readonly [Fate, number]> = [
  ['draft', 0.025], // uploaded as a draft and left so
  ['unpublished', 0.005], // public, then unpublished (read as a draft)
  ['unlisted', 0.015], // uploaded unlisted
  ['madeUnlisted', 0.005], // public, then made unlisted
  ['deleted', 0.01], // public, then deleted by its creator
  ['takenDown', 0.003], // public, then taken down by an admin
];

export interface Creator {
  readonly userId: string;
  readonly email: string;
  readonly displayName: string;
  readonly handle: string;
}

export interface PlannedVideo {
  readonly videoId: string;
  readonly ownerId: string;
  readonly name: string;
  readonly description: string;
  readonly fate: Fate;
  readonly durationSeconds: number;
}

/** A message and the stream it goes to. */
export interface Planned {
  readonly stream: string;
  readonly message: Message;
}

/** The days the viewings are planned over (written oldest first; see docs/benchmarks.md on the store's clock). */
export const SIMULATED_DAYS = 30;

export interface CatalogPlan {
  readonly seed: string;
  readonly sizes: CatalogSizes;
  readonly creators: readonly Creator[];
  readonly videos: readonly PlannedVideo[];
  /** How many viewings each simulated day gets, oldest first (index 0 is 29 days ago). */
  readonly viewingsPerDay: readonly number[];
  /** How many videos of each fate. */
  readonly fates: Readonly<Record<Fate, number>>;
}

// ---------------------------------------------------------------------------------------------
// A small seeded generator (sfc32, seeded by cyrb128 of a string): fast and the same everywhere.

export interface Random {
  /** [0, 1) */
  next(): number;
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
  uuid(): string;
  /** `length` characters of base64url. */
  key(length: number): string;
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i += 1) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0];
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function seededRandom(seed: string): Random {
  let [a, b, c, d] = cyrb128(seed);
  const u32 = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  const random: Random = {
    next: () => u32() / 4294967296,
    int: (below) => Math.floor(random.next() * below),
    pick: (items) => items[random.int(items.length)]!,
    uuid() {
      const h = hex(u32()) + hex(u32()) + hex(u32()) + hex(u32());
      // Version 4, RFC 4122 variant: a well-formed UUID that zod's z.uuid() accepts.
      const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    key(length) {
      let text = '';
      for (let i = 0; i < length; i += 1) text += BASE64URL[u32() & 63];
      return text;
    },
  };
  return random;
}

/** A Zipf-like sampler over `n` ranks (rank 0 the most likely), weight 1 / (rank + 1)^s. */
export function zipfSampler(n: number, s: number, random: Random): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank += 1) {
    total += 1 / (rank + 1) ** s;
    cumulative[rank] = total;
  }
  return () => {
    const target = random.next() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! <= target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Creators, titles, descriptions.

const plainLetters = (text: string): string =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[Łł]/g, 'l')
    .replace(/[Øø]/g, 'o')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function planCreators(count: number, random: Random): Creator[] {
  return Array.from({ length: count }, (_, index) => {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    // A few channels go by a channel name rather than a person's.
    const displayName = random.next() < 0.2 ? `${first} ${random.pick(CHANNEL_WORDS)}` : `${first} ${last}`;
    const handle = `${plainLetters(displayName).slice(0, 22)}-${index + 1}`;
    return {
      userId: random.uuid(),
      email: `creator-${index + 1}@bench.video-tutorials.localhost`,
      displayName,
      handle,
    };
  });
}

function titleOf(random: Random): string {
  const tech = random.pick(TECHNOLOGIES);
  let other = random.pick(TECHNOLOGIES);
  if (other === tech) other = TECHNOLOGIES[(TECHNOLOGIES.indexOf(tech) + 1) % TECHNOLOGIES.length]!;
  const concept = random.pick(CONCEPTS);
  const project = random.pick(PROJECTS);
  const level = random.pick(LEVELS);
  const verb = random.pick(VERBS);
  const minutes = random.pick([5, 10, 15, 20, 30, 45]);
  const Verb = verb[0]!.toUpperCase() + verb.slice(1);
  const templates = [
    `Intro to ${tech} ${concept}`,
    `${tech} ${concept} in ${minutes} minutes`,
    `${level} ${tech}: ${concept} explained`,
    `Building ${project} with ${tech} and ${other}`,
    `${Verb} ${concept} in ${tech}`,
    `${tech} vs ${other}: ${concept}`,
    `Why your ${tech} ${concept} setup is slow`,
    `${Verb} ${project} in ${tech}, part ${1 + random.int(6)}`,
    `Understanding ${concept} in ${tech}`,
    `${tech} ${concept}: common mistakes`,
  ];
  return random.pick(templates);
}

function descriptionOf(title: string, random: Random): string {
  const tech = random.pick(TECHNOLOGIES);
  const concept = random.pick(CONCEPTS);
  const sentences = [
    `In this ${random.pick(LEVELS).replace(':', '').toLowerCase()} tutorial we look at ${title.toLowerCase()}.`,
    `You will ${random.pick(VERBS)} ${random.pick(PROJECTS)} step by step, and see how ${concept} work in ${tech}.`,
    `We cover the asynchronous parts, the dependency setup and where idempotent retries matter.`,
    `By the end you will ${random.pick(OUTCOMES)}.`,
    `The code is on the channel page; questions welcome in the café after the talk.`,
  ];
  // Two to four of them, the first always: descriptions of different lengths.
  const count = 2 + random.int(3);
  return [sentences[0]!, ...shuffle(sentences.slice(1), random).slice(0, count - 1)].join(' ');
}

function planFates(count: number, random: Random): Fate[] {
  const fates: Fate[] = [];
  for (const [fate, share] of FATE_SHARES) {
    // At least one of each in a catalog of ten or more, so a tiny test run has every kind.
    const n = Math.min(count - fates.length, Math.max(count >= 10 ? 1 : 0, Math.round(count * share)));
    for (let i = 0; i < n; i += 1) fates.push(fate);
  }
  while (fates.length < count) fates.push('public');
  return shuffle(fates, random);
}

/** Days of the week get different shares (weekends less), oldest day first; the counts add up to `total`. */
function spreadOverDays(total: number): number[] {
  const weights = Array.from({ length: SIMULATED_DAYS }, (_, day) => (day % 7 === 5 || day % 7 === 6 ? 0.7 : 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((weight) => Math.floor((total * weight) / sum));
  let rest = total - counts.reduce((a, b) => a + b, 0);
  for (let day = SIMULATED_DAYS - 1; rest > 0; day = (day - 1 + SIMULATED_DAYS) % SIMULATED_DAYS, rest -= 1)
    counts[day]! += 1;
  return counts;
}

export function planCatalog(seed: string, sizes: CatalogSizes): CatalogPlan {
  for (const [name, value] of Object.entries(sizes)) {
    // A catalog without viewings, playback reports or account activity is still a catalog.
    const least = name === 'videos' || name === 'creators' ? 1 : 0;
    if (!Number.isInteger(value) || value < least)
      throw new Error(`--${name} must be a whole number (at least ${least}), not ${value}`);
  }
  const random = seededRandom(`${seed}/catalog`);
  const creators = planCreators(sizes.creators, random);
  // Some creators publish far more than others.
  const ownerRank = zipfSampler(creators.length, 0.8, random);
  const fates = planFates(sizes.videos, random);
  const videos = fates.map((fate): PlannedVideo => {
    const name = titleOf(random);
    return {
      videoId: random.uuid(),
      ownerId: creators[ownerRank()]!.userId,
      name,
      description: descriptionOf(name, random),
      fate,
      durationSeconds: 60 + random.int(45 * 60),
    };
  });
  const counts = Object.fromEntries(FATE_SHARES.map(([fate]) => [fate, 0])) as Record<Fate, number>;
  counts.public = 0;
  for (const fate of fates) counts[fate] += 1;
  return { seed, sizes, creators, videos, viewingsPerDay: spreadOverDays(sizes.viewings), fates: counts };
}

// ---------------------------------------------------------------------------------------------
// Messages.

/** Listed by the catalog: converted, public, neither deleted nor taken down. */
export const isListed = (video: PlannedVideo): boolean => video.fate === 'public';
/** Watchable by someone who is not its creator: listed, or unlisted (by its link). */
const isWatchable = (video: PlannedVideo): boolean =>
  video.fate === 'public' || video.fate === 'unlisted' || video.fate === 'madeUnlisted';

const visibilityOnUpload = (fate: Fate): Visibility =>
  fate === 'draft' ? 'draft' : fate === 'unlisted' ? 'unlisted' : 'public';

/**
 * A converted video's events, as the video-publishing component writes them for an upload that
 * converted (accepted with its visibility, transcoding started, published), then named and
 * described by its creator, then what its fate adds. Ids are the plan's own, so a second run
 * writes the same messages.
 */
export function videoMessages(video: PlannedVideo, random: Random): Planned[] {
  const { videoId, ownerId } = video;
  const stream = videoPublishingStreamName(videoId);
  const sourceUri = uriOfKey(videoKeys.source(videoId));
  const metadata = { traceId: random.uuid(), userId: ownerId };
  const message = (type: string, data: unknown, userId: string | null = ownerId): Planned => ({
    stream,
    message: { id: random.uuid(), type, data, metadata: { ...metadata, userId } },
  });
  const tall = random.next() < 0.1;
  const messages = [
    message('VideoPublishingAccepted', { ownerId, videoId, sourceUri, visibility: visibilityOnUpload(video.fate) }),
    message('VideoTranscodingStarted', { videoId }),
    message('VideoPublished', {
      ownerId,
      videoId,
      sourceUri,
      transcodedUri: uriOfKey(videoKeys.transcoded(videoId)),
      posterUri: uriOfKey(videoKeys.poster(videoId)),
      durationSeconds: video.durationSeconds,
      width: tall ? 720 : 1280,
      height: tall ? 1280 : 720,
      posterCandidateUris: Array.from({ length: POSTER_CANDIDATES }, (_, index) =>
        uriOfKey(videoKeys.posterCandidate(videoId, index)),
      ),
    }),
    message('VideoNamed', { videoId, name: video.name }),
    message('VideoDescribed', { videoId, description: video.description }),
  ];
  switch (video.fate) {
    case 'unpublished':
      messages.push(message('VideoUnpublished', { videoId }));
      break;
    case 'madeUnlisted':
      messages.push(message('VideoVisibilityChanged', { videoId, visibility: 'unlisted' }));
      break;
    case 'deleted':
      messages.push(message('VideoDeleted', { videoId, ownerId }));
      break;
    case 'takenDown':
      // By an admin; the benchmark has none, so the metadata names nobody.
      messages.push(
        message('VideoTakenDown', { videoId, reason: 'Copies another creator’s course (benchmark data).' }, null),
      );
      break;
    // Uploaded so, nothing after.
    case 'draft':
    case 'public':
    case 'unlisted':
      break;
  }
  return messages;
}

export interface ViewingBatch {
  /** Simulated days ago (29 … 0): the order the days are written in. */
  readonly daysAgo: number;
  readonly messages: readonly Planned[];
}

/** Share of viewings by logged-in viewers (keyed by their account), the rest by address. */
const LOGGED_IN_SHARE = 0.15;
/** Share of viewings followed at once by another of the same visitor and video (a reload): the rule counts one. */
const RELOAD_SHARE = 0.05;

/**
 * The viewings, in batches of at most `batchSize`, day by day from the oldest: VideoViewed
 * version 3 with a visitor key, of videos anyone may watch (listed ones, and unlisted ones less
 * often, by their link), with a Zipf-like popularity (s = 1) over a shuffled order of the videos,
 * so the most watched are spread through the catalog and over creators.
 */
export function* viewingBatches(plan: CatalogPlan, batchSize: number): Generator<ViewingBatch> {
  const random = seededRandom(`${plan.seed}/viewings`);
  const watchable = plan.videos.filter(isWatchable);
  if (watchable.length === 0 || plan.sizes.viewings === 0) return;
  const byPopularity = shuffle([...watchable], random);
  const rank = zipfSampler(byPopularity.length, 1, random);
  // About ten viewings per visitor over the month, more from some than others.
  const visitors = Array.from({ length: Math.max(100, Math.ceil(plan.sizes.viewings / 10)) }, () => random.key(22));
  const visitor = zipfSampler(visitors.length, 0.6, random);
  const userKeys = new Map(plan.creators.map((creator) => [creator.userId, random.key(22)]));
  for (const [index, count] of plan.viewingsPerDay.entries()) {
    const daysAgo = SIMULATED_DAYS - 1 - index;
    let batch: Planned[] = [];
    for (let n = 0; n < count; n += 1) {
      let video = byPopularity[rank()]!;
      // Unlisted videos are found only by their link: most of their draws go elsewhere.
      if (video.fate !== 'public' && random.next() < 0.9) video = byPopularity[rank()]!;
      const viewer = random.next() < LOGGED_IN_SHARE ? random.pick(plan.creators) : undefined;
      const visitorKey = viewer ? userKeys.get(viewer.userId)! : visitors[visitor()]!;
      const userId = viewer?.userId ?? null;
      const viewed = (): Planned => ({
        stream: viewingStreamName(video.videoId),
        message: {
          id: random.uuid(),
          type: 'VideoViewed',
          data: { videoId: video.videoId, userId, source: random.next() < 0.9 ? 'watch-page' : 'button', visitorKey },
          metadata: { traceId: random.uuid(), userId },
        },
      });
      batch.push(viewed());
      if (n + 1 < count && random.next() < RELOAD_SHARE) {
        batch.push(viewed());
        n += 1;
      }
      if (batch.length >= batchSize) {
        yield { daysAgo, messages: batch };
        batch = [];
      }
    }
    if (batch.length > 0) yield { daysAgo, messages: batch };
  }
}

/**
 * A playback report as a logged-in viewer's player posts it (POST /playback/<videoId>), before
 * write.ts seals its video id with the viewer's key and makes it a PlaybackProgressed.
 */
export interface PlannedReport {
  readonly id: string;
  readonly traceId: string;
  readonly userId: string;
  readonly videoId: string;
  readonly positionSeconds: number;
  readonly durationSeconds: number;
}

/** The player reports where it is about this often while a video plays (public/js/playback.js). */
const REPORT_EVERY_SECONDS = 15;
/** Share of watches that end at the very end of the video: finished, so never offered to resume. */
const FINISHED_SHARE = 0.25;
/** Share of watches the player reports two to four times, at increasing positions, rather than once. */
const SEVERAL_REPORTS_SHARE = 0.4;

/**
 * The playback reports, `plan.sizes.playback` of them, watch after watch: a logged-in viewer (a
 * creator, as in viewingBatches) watches a listed video (Zipf-like popularity, s = 1, over a
 * shuffled order) and stops part-way, or at the very end, with one report or two to four a
 * player interval apart. Positions are in tenths of a second, as a player reports them. From a
 * random generator of their own, so the rest of the catalog is the same with or without them.
 */
export function* playbackReports(plan: CatalogPlan): Generator<PlannedReport> {
  const random = seededRandom(`${plan.seed}/playback`);
  const listed = plan.videos.filter(isListed);
  if (listed.length === 0 || plan.sizes.playback === 0) return;
  const byPopularity = shuffle([...listed], random);
  const rank = zipfSampler(byPopularity.length, 1, random);
  // Down, so a part-way position never rounds up to a finished one.
  const tenths = (seconds: number) => Math.floor(seconds * 10) / 10;
  for (let left = plan.sizes.playback; left > 0;) {
    const { userId } = random.pick(plan.creators);
    const { videoId, durationSeconds } = byPopularity[rank()]!;
    const reports = Math.min(left, random.next() < SEVERAL_REPORTS_SHARE ? 2 + random.int(3) : 1);
    // Where the viewer stopped: at the end, or past the first seconds and short of WATCHED_FRACTION.
    const last =
      random.next() < FINISHED_SHARE ? durationSeconds : 10 + random.next() * (durationSeconds * WATCHED_FRACTION - 10);
    // The reports before it, a player interval apart (closer on a short watch): increasing, in stream order.
    const step = Math.min(REPORT_EVERY_SECONDS, last / reports);
    for (let before = reports - 1; before >= 0; before -= 1)
      yield {
        id: random.uuid(),
        traceId: random.uuid(),
        userId,
        videoId,
        positionSeconds: tenths(last - before * step),
        durationSeconds,
      };
    left -= reports;
  }
}

/**
 * The creators' log-ins and renames, `logins` and `renames` of them mixed in one order: a log-in
 * is the UserLoggedIn the log-in form records on a right password, in the creator's
 * authentication stream, some creators logging in far more often than others; a rename is the
 * VideoNamed that video-publishing records when it accepts the owner's NameVideo, a title the
 * video does not have already. As for videoMessages, the events alone are written, not the
 * commands they answer. From a random generator of their own, so the rest of the catalog is the
 * same with or without them.
 */
export function* accountActivity(plan: CatalogPlan): Generator<Planned> {
  const random = seededRandom(`${plan.seed}/activity`);
  const listed = plan.videos.filter(isListed);
  const { logins } = plan.sizes;
  // With no listed video there is nothing to rename.
  const renames = listed.length > 0 ? plan.sizes.renames : 0;
  const creator = zipfSampler(plan.creators.length, 0.8, random);
  const names = new Map(listed.map((video) => [video.videoId, video.name]));
  const planned = (stream: string, type: string, data: unknown, userId: string): Planned => ({
    stream,
    message: { id: random.uuid(), type, data, metadata: { traceId: random.uuid(), userId } },
  });
  for (let loginsLeft = logins, renamesLeft = renames; loginsLeft + renamesLeft > 0;) {
    const rename = random.int(loginsLeft + renamesLeft) < renamesLeft;
    if (rename) {
      const { videoId, ownerId } = random.pick(listed);
      // The same title again would be refused, not recorded.
      let name = titleOf(random);
      while (name === names.get(videoId)) name = titleOf(random);
      names.set(videoId, name);
      yield planned(videoPublishingStreamName(videoId), 'VideoNamed', { videoId, name }, ownerId);
      renamesLeft -= 1;
    } else {
      const { userId } = plan.creators[creator()]!;
      yield planned(authenticationStreamName(userId), 'UserLoggedIn', { userId }, userId);
      loginsLeft -= 1;
    }
  }
}
