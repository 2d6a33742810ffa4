import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_VIEWING_COUNT_WINDOW_MS } from '../aggregators/viewing-counts/rule.ts';
import { AuditKeyError, resolveAuditKeys, type AuditKeys } from '../audit/key.ts';
import type { LogFormat } from '../logger.ts';

/** Thrown for a missing or malformed variable; main prints its message as one line and exits. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.pathname.length > 1;
    } catch {
      return false;
    }
  }, 'must be a postgres:// URL that names a database');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** setTimeout fires at once (with a warning) for any delay above this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Express's `trust proxy` setting: trust all or none, a hop count, or these addresses. */
export type TrustProxy = boolean | number | readonly string[];

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (CIDR or IPv4 netmask) or one of proxy-addr's names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d+$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

const trustProxy = z
  .string()
  .trim()
  .transform((value, context): TrustProxy => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    if (entries.every((entry) => entry !== '' && isProxyAddress(entry))) return entries;
    context.addIssue({
      code: 'custom',
      message: 'must be true, false, a hop count, or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal',
    });
    return z.NEVER;
  });

/** How long a welcome email that fails for a reason that may pass is tried again: a few hours. */
export const DEFAULT_MAIL_RETRY_WINDOW_SECONDS = 4 * 60 * 60;
/** A week: past that, a mail server's own queue would have bounced the message too. */
const MAX_MAIL_RETRY_WINDOW_SECONDS = 7 * 24 * 60 * 60;
/**
 * Viewings one client address may record per window: a burst of a few videos, then one a minute
 * or so, far beyond what a person watches, and a store that grows by kilobytes, not gigabytes,
 * per address and day. The count takes one per visitor and video per window anyway.
 */
export const DEFAULT_VIEWING_LIMIT: Limit = { points: 60, windowSeconds: 10 * 60 };
const MAX_COUNT_WINDOW_MINUTES = 366 * 24 * 60;

// An example value copied from .env.example is as good as no secret at all.
const EXAMPLE_SECRETS = new Set(['change-me', 'replace-with-a-long-random-string']);
const MIN_SECRET_LENGTH = 32;

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

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  failuresPerDevice: { points: 10, windowSeconds: 15 * 60 },
  failuresPerAddress: { points: 20, windowSeconds: 15 * 60 },
  // 5 at once, then one every 3 minutes: 480 guesses a day at most, as 5 per 15 minutes allowed
  // before, while the owner on a new browser waits 3 minutes, not 15.
  untrustedPerAccount: { tries: 5, refillSeconds: 3 * 60 },
};

/**
 * Where the server listens when HOST is unset. A development machine answers only itself, as
 * Vite and Next do: its demo account's password is public and its /status open, so the café's
 * network must not reach them. Production listens on every interface: in a container, loopback
 * is unreachable from the published port.
 */
function hostFor(nodeEnv: 'development' | 'production' | 'test'): string {
  return nodeEnv === 'production' ? '0.0.0.0' : '127.0.0.1';
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  // Unset: by NODE_ENV (hostFor).
  HOST: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Unset: by the terminal and NODE_ENV (chooseLogFormat in src/logger.ts).
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  COOKIE_SECRET: z.string().optional(),
  DATABASE_URL: postgresUrl.optional(),
  MESSAGE_STORE_URL: postgresUrl.optional(),
  MESSAGE_STORE_CONNECTION_STRING: postgresUrl.optional(),
  EMBEDDED_POSTGRES_DIR: z.string().trim().min(1).default('.data/postgres'),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  SUBSCRIBER_POLL_INTERVAL_MS: positiveInt.max(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms (Node's timer limit)`).default(10_000),
  SUBSCRIBER_BATCH_SIZE: positiveInt.default(100),
  PAGE_CACHE_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).default(250),
  TRUST_PROXY: trustProxy.optional(),
  STATUS_TOKEN: z.string().optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(10),
  SITE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_DIR: z.string().trim().min(1).default('.data/mail'),
  MAIL_FROM: z.string().trim().min(3).default('Video Tutorials <no-reply@video-tutorials.localhost>'),
  MAIL_RETRY_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_MAIL_RETRY_WINDOW_SECONDS, `must be at most ${MAX_MAIL_RETRY_WINDOW_SECONDS} seconds (a week)`)
    .default(DEFAULT_MAIL_RETRY_WINDOW_SECONDS),
  LOGIN_FAILURES_PER_ACCOUNT: positiveInt.default(DEFAULT_LOGIN_THROTTLE.untrustedPerAccount.tries),
  LOGIN_ACCOUNT_REFILL_SECONDS: positiveInt.default(DEFAULT_LOGIN_THROTTLE.untrustedPerAccount.refillSeconds),
  LOGIN_FAILURES_PER_DEVICE: positiveInt.default(DEFAULT_LOGIN_THROTTLE.failuresPerDevice.points),
  LOGIN_FAILURES_PER_ADDRESS: positiveInt.default(DEFAULT_LOGIN_THROTTLE.failuresPerAddress.points),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(DEFAULT_LOGIN_THROTTLE.failuresPerAddress.windowSeconds),
  REGISTRATIONS_PER_ADDRESS: positiveInt.default(10),
  REGISTRATION_WINDOW_SECONDS: positiveInt.default(60 * 60),
  VIDEO_EDITS_PER_CREATOR: positiveInt.default(30),
  VIDEO_EDIT_WINDOW_SECONDS: positiveInt.default(10 * 60),
  VIEWINGS_PER_ADDRESS: positiveInt.default(DEFAULT_VIEWING_LIMIT.points),
  VIEWING_LIMIT_WINDOW_SECONDS: positiveInt.default(DEFAULT_VIEWING_LIMIT.windowSeconds),
  VIEWING_COUNT_WINDOW_MINUTES: positiveInt.max(MAX_COUNT_WINDOW_MINUTES, `must be at most ${MAX_COUNT_WINDOW_MINUTES} (a year)`).default(DEFAULT_VIEWING_COUNT_WINDOW_MS / 60_000),
  VIDEO_DIR: z.string().trim().min(1).default('.data/videos'),
  MAX_UPLOAD_BYTES: positiveInt.default(500 * 1024 * 1024),
  UPLOAD_MIN_BYTES_PER_SECOND: positiveInt.default(4 * 1024),
  UPLOAD_RATE_WINDOW_SECONDS: positiveInt.max(3600).default(30),
  REQUEST_BODY_TIMEOUT_SECONDS: positiveInt.max(3600).default(60),
  TRANSCODE_CONCURRENCY: positiveInt.max(64).default(1),
  // Unset, these take the video-publishing component's defaults (stated there once).
  FFMPEG_PATH: z.string().trim().min(1).optional(),
  FFPROBE_PATH: z.string().trim().min(1).optional(),
  TRANSCODE_MAX_DECODED_PIXELS: z.coerce.number().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  TRANSCODE_TIME_PER_VIDEO_SECOND: z.coerce.number().positive().max(1_000).optional(),
  TRANSCODE_MEMORY_MB: positiveInt.max(1024 * 1024).optional(),
  TRANSCODE_RESOURCE_WAIT_MINUTES: positiveInt.max(7 * 24 * 60).optional(),
  TRANSCODES_RUNNING_PER_CREATOR: positiveInt.max(64).optional(),
  TRANSCODES_QUEUED_PER_CREATOR: z.coerce.number().int().min(0).max(1_000).optional(),
  SEED_DEMO: z.enum(['true', 'false']).optional(),
  AUDIT_KEY: z.string().optional(),
});

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

export interface RateLimitSettings {
  readonly registrationsPerAddress: Limit;
  /** Name and description changes, each a command kept for good. */
  readonly videoEditsPerCreator: Limit;
  /** Viewings recorded per client address (POST /record-viewing). */
  readonly viewingsPerAddress: Limit;
}

export interface MailSettings {
  /** Unset: emails are written as .eml files in `dir`. */
  readonly smtpUrl: string | undefined;
  readonly dir: string;
  readonly from: string;
  /** How long an email that fails for a reason that may pass is tried again (0: never); DEFAULT_MAIL_RETRY_WINDOW_SECONDS unless given. */
  readonly retryWindowSeconds?: number;
}

export interface DatabaseUrls {
  readonly databaseUrl: string;
  readonly messageStoreUrl: string;
}

export interface Env {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  /** LOG_FORMAT; undefined when unset, and the logger chooses by the terminal. */
  readonly logFormat: LogFormat | undefined;
  /**
   * Keys for signing session cookies, the first signing and every one accepted (so a key can be
   * rotated without logging everyone out). Undefined outside production when unset: the caller
   * makes a throwaway one.
   */
  readonly cookieSecrets: readonly string[] | undefined;
  /** Undefined when neither URL is set: the embedded PostgreSQL is used. */
  readonly databases: DatabaseUrls | undefined;
  readonly embeddedPostgres: { readonly dir: string; readonly port: number };
  readonly subscriberPollIntervalMs: number;
  readonly subscriberBatchSize: number;
  /** How old a page's cached projection read may be in a web process (0: read on every request). */
  readonly pageCacheMs: number;
  /** Undefined when unset: no proxy is trusted. */
  readonly trustProxy: TrustProxy | undefined;
  /** Bearer token for GET /status; undefined when unset. */
  readonly statusToken: string | undefined;
  /** How long a request's body may take to arrive, on every route but the upload. */
  readonly requestBodyTimeoutMs: number;
  readonly bcryptCost: number;
  /** Where the site is reached, for links in emails; unset: http://localhost:<PORT>. */
  readonly siteUrl: string;
  readonly mail: MailSettings;
  readonly rateLimits: RateLimitSettings;
  readonly loginThrottle: LoginThrottleSettings;
  /** One viewing per visitor and video counts per this window (the projections' rule). */
  readonly viewingCountWindowMs: number;
  readonly videos: VideoSettings;
  /** Publish the demo videos at start when there are none: on by default outside production. */
  readonly seedDemo: boolean;
  /** Signs the audit chain's heads (AUDIT_KEY; a fixed development key outside production). */
  readonly auditKeys: AuditKeys;
}

const URL_VARIABLES = new Set(['DATABASE_URL', 'MESSAGE_STORE_URL', 'MESSAGE_STORE_CONNECTION_STRING', 'SMTP_URL']);

/**
 * A connection string fit for an error message: whatever follows `user:` before the last `@`,
 * and any `password=` parameter, becomes ***. Works on strings no URL parser accepts.
 */
function hidePassword(value: string): string {
  return value
    .replace(/^((?:[^:/?#@]+:\/\/)?[^:/?#@]*:)[\s\S]*@/, '$1***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? 'environment');
  const value = raw[name];
  if (value === undefined || value === '') return `${name} is missing: ${issue.message}`;
  const shown = URL_VARIABLES.has(name) ? hidePassword(value) : value;
  return `${name} is malformed (${JSON.stringify(shown)}): ${issue.message}`;
}

/** Parses the process environment once, failing with one line that names the bad variable. */
export function parseEnv(raw: Record<string, string | undefined>): Env {
  // An empty assignment in .env (FOO=) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(first ? describeIssue(first, raw) : 'the environment is invalid');
  }
  const env = parsed.data;

  const cookieSecrets = env.COOKIE_SECRET?.split(',').map((key) => key.trim());
  if (cookieSecrets?.some((key) => key === '')) throw new ConfigError('COOKIE_SECRET is malformed: an empty key between commas');
  if (env.NODE_ENV === 'production') {
    if (cookieSecrets === undefined) throw new ConfigError('COOKIE_SECRET is missing: production needs a real session secret');
    if (cookieSecrets.some((key) => key.length < MIN_SECRET_LENGTH || EXAMPLE_SECRETS.has(key))) {
      throw new ConfigError(`COOKIE_SECRET is malformed: production needs random keys of at least ${MIN_SECRET_LENGTH} characters each`);
    }
  }

  let auditKeys: AuditKeys;
  try {
    auditKeys = resolveAuditKeys({ AUDIT_KEY: env.AUDIT_KEY, NODE_ENV: env.NODE_ENV });
  } catch (error) {
    throw error instanceof AuditKeyError ? new ConfigError(error.message) : error;
  }

  const messageStoreUrl = env.MESSAGE_STORE_URL ?? env.MESSAGE_STORE_CONNECTION_STRING;
  const databaseUrl = env.DATABASE_URL;
  if ((messageStoreUrl === undefined) !== (databaseUrl === undefined)) {
    throw new ConfigError(
      databaseUrl === undefined
        ? 'DATABASE_URL is missing: set it with MESSAGE_STORE_URL, or unset both to use the embedded PostgreSQL'
        : 'MESSAGE_STORE_URL is missing: set it with DATABASE_URL, or unset both to use the embedded PostgreSQL',
    );
  }
  if (databaseUrl !== undefined && databaseUrl === messageStoreUrl) {
    throw new ConfigError('MESSAGE_STORE_URL is malformed: it must name a different database from DATABASE_URL');
  }

  return Object.freeze({
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST ?? hostFor(env.NODE_ENV),
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    cookieSecrets: cookieSecrets && Object.freeze(cookieSecrets),
    databases: databaseUrl && messageStoreUrl ? { databaseUrl, messageStoreUrl } : undefined,
    embeddedPostgres: { dir: env.EMBEDDED_POSTGRES_DIR, port: env.EMBEDDED_POSTGRES_PORT },
    subscriberPollIntervalMs: env.SUBSCRIBER_POLL_INTERVAL_MS,
    subscriberBatchSize: env.SUBSCRIBER_BATCH_SIZE,
    pageCacheMs: env.PAGE_CACHE_MS,
    trustProxy: env.TRUST_PROXY,
    statusToken: env.STATUS_TOKEN,
    requestBodyTimeoutMs: env.REQUEST_BODY_TIMEOUT_SECONDS * 1000,
    bcryptCost: env.BCRYPT_COST,
    // Only the first slash of a run can start the match: /\/+$/ would rescan a run from each of its slashes.
    siteUrl: (env.SITE_URL ?? `http://localhost:${env.PORT}`).replace(/(?<!\/)\/+$/, ''),
    mail: Object.freeze({ smtpUrl: env.SMTP_URL, dir: env.MAIL_DIR, from: env.MAIL_FROM, retryWindowSeconds: env.MAIL_RETRY_WINDOW_SECONDS }),
    loginThrottle: Object.freeze({
      failuresPerDevice: { points: env.LOGIN_FAILURES_PER_DEVICE, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
      failuresPerAddress: { points: env.LOGIN_FAILURES_PER_ADDRESS, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
      untrustedPerAccount: { tries: env.LOGIN_FAILURES_PER_ACCOUNT, refillSeconds: env.LOGIN_ACCOUNT_REFILL_SECONDS },
    }),
    rateLimits: Object.freeze({
      registrationsPerAddress: { points: env.REGISTRATIONS_PER_ADDRESS, windowSeconds: env.REGISTRATION_WINDOW_SECONDS },
      videoEditsPerCreator: { points: env.VIDEO_EDITS_PER_CREATOR, windowSeconds: env.VIDEO_EDIT_WINDOW_SECONDS },
      viewingsPerAddress: { points: env.VIEWINGS_PER_ADDRESS, windowSeconds: env.VIEWING_LIMIT_WINDOW_SECONDS },
    }),
    viewingCountWindowMs: env.VIEWING_COUNT_WINDOW_MINUTES * 60_000,
    videos: Object.freeze({
      dir: env.VIDEO_DIR,
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      minUploadBytesPerSecond: env.UPLOAD_MIN_BYTES_PER_SECOND,
      uploadRateWindowMs: env.UPLOAD_RATE_WINDOW_SECONDS * 1000,
      transcodeConcurrency: env.TRANSCODE_CONCURRENCY,
      ffmpegPath: env.FFMPEG_PATH,
      ffprobePath: env.FFPROBE_PATH,
      transcode: Object.freeze({
        maxDecodedPixels: env.TRANSCODE_MAX_DECODED_PIXELS,
        timePerVideoSecond: env.TRANSCODE_TIME_PER_VIDEO_SECOND,
        memoryBytes: env.TRANSCODE_MEMORY_MB === undefined ? undefined : env.TRANSCODE_MEMORY_MB * 1024 * 1024,
        resourceWaitMs: env.TRANSCODE_RESOURCE_WAIT_MINUTES === undefined ? undefined : env.TRANSCODE_RESOURCE_WAIT_MINUTES * 60_000,
        runningPerCreator: env.TRANSCODES_RUNNING_PER_CREATOR,
        queuedPerCreator: env.TRANSCODES_QUEUED_PER_CREATOR,
      }),
    }),
    seedDemo: env.SEED_DEMO === undefined ? env.NODE_ENV === 'development' : env.SEED_DEMO === 'true',
    auditKeys,
  });
}
