/*
 * Every setting's value when nothing sets it, stated once: env.ts's schema takes its defaults
 * from here, createSystem fills what its caller leaves out from here, and the subscription engine
 * polls at this interval unless told otherwise. Imports nothing, so any layer may read it.
 */

/** How many of something one key may do within a window. */
export interface Limit {
  readonly points: number;
  readonly windowSeconds: number;
}

/**
 * Log-in throttling after OWASP's device cookies (src/web/login-throttle.ts): a browser that has
 * logged in to an account before is held only by its own failures; any other is limited by its
 * address and shares a small, refilling allowance of tries per account.
 */
export interface LoginThrottleSettings {
  /** Failures one known browser may make on its account within the window before it waits. */
  readonly failuresPerDevice: Limit;
  /** Failures from browsers an account does not know, per client address, within the window. */
  readonly failuresPerAddress: Limit;
  /** Tries from browsers an account does not know: `tries` at once, one more every `refillSeconds`. */
  readonly untrustedPerAccount: { readonly tries: number; readonly refillSeconds: number };
}

export interface RateLimitSettings {
  readonly registrationsPerAddress: Limit;
  /** Name and description changes, each a command kept for good. */
  readonly videoEditsPerCreator: Limit;
  /** Viewings recorded per client address (POST /record-viewing). */
  readonly viewingsPerAddress: Limit;
  /** "Download my data" per user: each reads the whole store. */
  readonly ownDataDownloadsPerUser: Limit;
  /** Where a viewer stopped (POST /playback), per user: each report is an event kept for good. */
  readonly playbackReportsPerUser: Limit;
  /** "Forgot your password?" requests per client address, whatever address they name. */
  readonly passwordResetsPerAddress: Limit;
  /** The same per email address typed, known or not: nobody's inbox fills from the form. */
  readonly passwordResetsPerEmail: Limit;
  /** Tries of the current password on the account page, per user. */
  readonly passwordChecksPerUser: Limit;
}

export interface MailSettings {
  /** Unset: emails are written as .eml files in `dir`. */
  readonly smtpUrl: string | undefined;
  readonly dir: string;
  readonly from: string;
  /** How long an email that fails for a reason that may pass is tried again (0: never); DEFAULTS.mail's unless given. */
  readonly retryWindowSeconds?: number;
}

export interface VideoSettings {
  /** Where uploads, transcoded files and posters live; web and worker processes must share it. */
  readonly dir: string;
  readonly maxUploadBytes: number;
  /** An upload slower than this, sustained over uploadRateWindowMs, is cut off and nothing kept. */
  readonly minUploadBytesPerSecond: number;
  readonly uploadRateWindowMs: number;
  /** Transcodes this process runs at once. */
  readonly transcodeConcurrency: number;
  /** FFMPEG_PATH, FFPROBE_PATH: unset, the system's, else npm's (src/media-tools.ts). */
  readonly ffmpegPath?: string | undefined;
  readonly ffprobePath?: string | undefined;
  /** What a transcode may cost and how long it waits out a shortage; unset fields take the component's defaults. */
  readonly transcode?: TranscodeSettings;
  /** Who sends a video's files once the app has said who may have them (docs/video-delivery.md); the app unless given. */
  readonly delivery?: VideoDeliverySettings;
}

/**
 * VIDEO_DELIVERY and VIDEO_ACCEL_PREFIX: `app` streams the files itself; `x-accel-redirect` makes the
 * same checks, then names the file to the reverse proxy in front (nginx) under `accelPrefix`.
 */
interface VideoDeliverySettings {
  readonly mode: 'app' | 'x-accel-redirect';
  /** The proxy's internal location for the video folder: starts and ends with `/`. */
  readonly accelPrefix: string;
}

/** The TRANSCODE_* settings, each undefined when unset (docs/architecture.md, "Fair transcoding"). */
interface TranscodeSettings {
  /** Width × height × frames a second × seconds one upload may have us decode. */
  readonly maxDecodedPixels?: number | undefined;
  /** Wall-clock seconds a transcode may take per second of video (plus a minute). */
  readonly timePerVideoSecond?: number | undefined;
  /** What one ffmpeg may allocate. */
  readonly memoryBytes?: number | undefined;
  /** How long a full or read-only disk, or a lack of memory, is waited out before the video is parked. */
  readonly resourceWaitMs?: number | undefined;
  /** Per creator, in each process: transcoding at once, and waiting beyond those. */
  readonly runningPerCreator?: number | undefined;
  readonly queuedPerCreator?: number | undefined;
}

/** The defaults, by the names Env gives the settings (test/config/defaults.test.ts holds them equal). */
interface Defaults {
  readonly nodeEnv: 'development';
  readonly port: number;
  readonly logLevel: 'info';
  readonly embeddedPostgres: { readonly dir: string; readonly port: number };
  /** The safety net only: every kind of writer wakes subscribers at once (docs/architecture.md). */
  readonly subscriberPollIntervalMs: number;
  readonly subscriberBatchSize: number;
  /** What a subscriber's reads grow to while it catches up (subscription.ts). */
  readonly subscriberMaxBatchSize: number;
  readonly pageCacheMs: number;
  readonly requestBodyTimeoutMs: number;
  readonly bcryptCost: number;
  readonly mail: MailSettings & { readonly retryWindowSeconds: number };
  readonly loginThrottle: LoginThrottleSettings;
  readonly rateLimits: RateLimitSettings;
  readonly viewingCountWindowMs: number;
  readonly videos: VideoSettings & { readonly delivery: VideoDeliverySettings };
}

/** Most connections each main pool (the message store's, the app database's) opens: each is a backend on the server. The search's own is smaller (SEARCH_POOL_MAX). */
export const DEFAULT_POOL_MAX = 10;

/**
 * What every connection of every pool sets. A transaction left open (a request that died half
 * way) ends after a minute rather than holding its locks. And no JIT compilation: nearly every
 * query here reads or writes a few rows by an index, but on a store of ten million messages the
 * planner's cost of a category read crossed jit_above_cost. Compiling then took 330 ms for a
 * query that ran in under a millisecond, and the admin dashboard took 1.8 s (docs/benchmarks.md).
 */
export const SESSION_OPTIONS = '-c jit=off -c idle_in_transaction_session_timeout=60000';

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  return Object.freeze(value);
}

const LOGIN_WINDOW_SECONDS = 15 * 60;

export const DEFAULTS: Defaults = deepFreeze({
  nodeEnv: 'development',
  port: 3000,
  logLevel: 'info',
  embeddedPostgres: { dir: '.data/postgres', port: 54329 },
  // 10 s, not 1 s: a dozen idle subscribers polling every second took an idle app from 0.2 % to
  // 1.4 % of a core, every 10 s 0.15 % (docs/benchmarks.md); wake-ups make the poll a safety net.
  subscriberPollIntervalMs: 10_000,
  subscriberBatchSize: 100,
  subscriberMaxBatchSize: 1_000,
  pageCacheMs: 250,
  requestBodyTimeoutMs: 60_000,
  bcryptCost: 10,
  mail: {
    smtpUrl: undefined,
    dir: '.data/mail',
    from: 'Video Tutorials <no-reply@video-tutorials.localhost>',
    // A few hours; a week is the most allowed, past which a mail server's own queue would have bounced it.
    retryWindowSeconds: 4 * 60 * 60,
  },
  loginThrottle: {
    failuresPerDevice: { points: 10, windowSeconds: LOGIN_WINDOW_SECONDS },
    failuresPerAddress: { points: 20, windowSeconds: LOGIN_WINDOW_SECONDS },
    // 5 at once, then one every 3 minutes: 480 guesses a day at most, as 5 per 15 minutes allowed
    // before, while the owner on a new browser waits 3 minutes, not 15.
    untrustedPerAccount: { tries: 5, refillSeconds: 3 * 60 },
  },
  rateLimits: {
    registrationsPerAddress: { points: 10, windowSeconds: 60 * 60 },
    videoEditsPerCreator: { points: 30, windowSeconds: 10 * 60 },
    // A burst of a few videos, then one a minute or so, far beyond what a person watches, and a
    // store that grows by kilobytes, not gigabytes, per address and day. The count takes one per
    // visitor and video per window anyway.
    viewingsPerAddress: { points: 60, windowSeconds: 10 * 60 },
    ownDataDownloadsPerUser: { points: 10, windowSeconds: 60 * 60 },
    // The player reports every 15 s and at each pause: 40 in 10 minutes of watching, and room for
    // pausing and seeking; a script cannot write more than one event every 5 s for good.
    playbackReportsPerUser: { points: 120, windowSeconds: 10 * 60 },
    // A person who lost a password asks a few times; a script cannot fill an inbox or sweep addresses.
    passwordResetsPerAddress: { points: 20, windowSeconds: 60 * 60 },
    passwordResetsPerEmail: { points: 5, windowSeconds: 60 * 60 },
    // As the log-in's: guessing the current password on a stolen session is still guessing.
    passwordChecksPerUser: { points: 10, windowSeconds: LOGIN_WINDOW_SECONDS },
  },
  // How long one visitor's viewings of one video count once.
  viewingCountWindowMs: 30 * 60_000,
  videos: {
    dir: '.data/videos',
    maxUploadBytes: 500 * 1024 * 1024,
    minUploadBytesPerSecond: 4 * 1024,
    uploadRateWindowMs: 30_000,
    transcodeConcurrency: 1,
    delivery: { mode: 'app', accelPrefix: '/protected-videos/' },
  },
});

/** Not a default but a bound every timed setting shares: Node's timers cannot wait longer (a larger value fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where the site is reached when SITE_URL is unset: this machine, on the port the app listens on. */
export function defaultSiteUrl(port: number): string {
  return `http://localhost:${port}`;
}
