import { isIP } from 'node:net';
import { z } from 'zod';
import { AuditKeyError, resolveAuditKeys, type AuditKeys } from '../audit/key.ts';
import type { LogFormat } from '../logger.ts';
import {
  DEFAULTS,
  defaultSiteUrl,
  MAX_TIMER_MS,
  type LoginThrottleSettings,
  type MailSettings,
  type RateLimitSettings,
  type VideoSettings,
} from './defaults.ts';

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
// Segments that cannot be `.` or `..`, of characters a URL path takes as they are: the prefix is put
// before the file's path in X-Accel-Redirect unencoded, so nothing in it may change where that points.
const ACCEL_PREFIX = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)+$/;
const positiveInt = z.coerce.number().int().positive();

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
      message:
        'must be true, false, a hop count, or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal',
    });
    return z.NEVER;
  });

/** A week: past that, a mail server's own queue would have bounced the message too. */
const MAX_MAIL_RETRY_WINDOW_SECONDS = 7 * 24 * 60 * 60;
const MAX_COUNT_WINDOW_MINUTES = 366 * 24 * 60;

// An example value copied from .env.example is as good as no secret at all.
const EXAMPLE_SECRETS = new Set(['change-me', 'replace-with-a-long-random-string']);
const MIN_SECRET_LENGTH = 32;

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
  NODE_ENV: z.enum(['development', 'production', 'test']).default(DEFAULTS.nodeEnv),
  PORT: port.default(DEFAULTS.port),
  // Unset: by NODE_ENV (hostFor).
  HOST: z.string().trim().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.logLevel),
  // Unset: by the terminal and NODE_ENV (chooseLogFormat in src/logger.ts).
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  COOKIE_SECRET: z.string().optional(),
  DATABASE_URL: postgresUrl.optional(),
  MESSAGE_STORE_URL: postgresUrl.optional(),
  MESSAGE_STORE_CONNECTION_STRING: postgresUrl.optional(),
  EMBEDDED_POSTGRES_DIR: z.string().trim().min(1).default(DEFAULTS.embeddedPostgres.dir),
  EMBEDDED_POSTGRES_PORT: port.default(DEFAULTS.embeddedPostgres.port),
  SUBSCRIBER_POLL_INTERVAL_MS: positiveInt
    .max(MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms (Node's timer limit)`)
    .default(DEFAULTS.subscriberPollIntervalMs),
  SUBSCRIBER_BATCH_SIZE: positiveInt.default(DEFAULTS.subscriberBatchSize),
  // Each kind of shared read keeps a few batches in memory, and an aggregator applies a batch in one transaction.
  SUBSCRIBER_MAX_BATCH_SIZE: positiveInt.max(10_000).default(DEFAULTS.subscriberMaxBatchSize),
  PAGE_CACHE_MS: z.coerce.number().int().min(0).max(MAX_TIMER_MS).default(DEFAULTS.pageCacheMs),
  TRUST_PROXY: trustProxy.optional(),
  STATUS_TOKEN: z.string().optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(DEFAULTS.bcryptCost),
  SITE_URL: z.url({ protocol: /^https?$/ }).optional(),
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_DIR: z.string().trim().min(1).default(DEFAULTS.mail.dir),
  MAIL_FROM: z.string().trim().min(3).default(DEFAULTS.mail.from),
  MAIL_RETRY_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_MAIL_RETRY_WINDOW_SECONDS, `must be at most ${MAX_MAIL_RETRY_WINDOW_SECONDS} seconds (a week)`)
    .default(DEFAULTS.mail.retryWindowSeconds),
  LOGIN_FAILURES_PER_ACCOUNT: positiveInt.default(DEFAULTS.loginThrottle.untrustedPerAccount.tries),
  LOGIN_ACCOUNT_REFILL_SECONDS: positiveInt.default(DEFAULTS.loginThrottle.untrustedPerAccount.refillSeconds),
  LOGIN_FAILURES_PER_DEVICE: positiveInt.default(DEFAULTS.loginThrottle.failuresPerDevice.points),
  LOGIN_FAILURES_PER_ADDRESS: positiveInt.default(DEFAULTS.loginThrottle.failuresPerAddress.points),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(DEFAULTS.loginThrottle.failuresPerAddress.windowSeconds),
  REGISTRATIONS_PER_ADDRESS: positiveInt.default(DEFAULTS.rateLimits.registrationsPerAddress.points),
  REGISTRATION_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.registrationsPerAddress.windowSeconds),
  VIDEO_EDITS_PER_CREATOR: positiveInt.default(DEFAULTS.rateLimits.videoEditsPerCreator.points),
  VIDEO_EDIT_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.videoEditsPerCreator.windowSeconds),
  OWN_DATA_DOWNLOADS_PER_USER: positiveInt.default(DEFAULTS.rateLimits.ownDataDownloadsPerUser.points),
  OWN_DATA_DOWNLOAD_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.ownDataDownloadsPerUser.windowSeconds),
  PLAYBACK_REPORTS_PER_USER: positiveInt.default(DEFAULTS.rateLimits.playbackReportsPerUser.points),
  PLAYBACK_REPORT_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.playbackReportsPerUser.windowSeconds),
  VIEWINGS_PER_ADDRESS: positiveInt.default(DEFAULTS.rateLimits.viewingsPerAddress.points),
  VIEWING_LIMIT_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.viewingsPerAddress.windowSeconds),
  PASSWORD_RESETS_PER_ADDRESS: positiveInt.default(DEFAULTS.rateLimits.passwordResetsPerAddress.points),
  PASSWORD_RESETS_PER_EMAIL: positiveInt.default(DEFAULTS.rateLimits.passwordResetsPerEmail.points),
  PASSWORD_RESET_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.passwordResetsPerEmail.windowSeconds),
  PASSWORD_CHECKS_PER_USER: positiveInt.default(DEFAULTS.rateLimits.passwordChecksPerUser.points),
  PASSWORD_CHECK_WINDOW_SECONDS: positiveInt.default(DEFAULTS.rateLimits.passwordChecksPerUser.windowSeconds),
  VIEWING_COUNT_WINDOW_MINUTES: positiveInt
    .max(MAX_COUNT_WINDOW_MINUTES, `must be at most ${MAX_COUNT_WINDOW_MINUTES} (a year)`)
    .default(DEFAULTS.viewingCountWindowMs / 60_000),
  VIDEO_DIR: z.string().trim().min(1).default(DEFAULTS.videos.dir),
  MAX_UPLOAD_BYTES: positiveInt.default(DEFAULTS.videos.maxUploadBytes),
  UPLOAD_MIN_BYTES_PER_SECOND: positiveInt.default(DEFAULTS.videos.minUploadBytesPerSecond),
  UPLOAD_RATE_WINDOW_SECONDS: positiveInt.max(3600).default(DEFAULTS.videos.uploadRateWindowMs / 1000),
  REQUEST_BODY_TIMEOUT_SECONDS: positiveInt.max(3600).default(DEFAULTS.requestBodyTimeoutMs / 1000),
  TRANSCODE_CONCURRENCY: positiveInt.max(64).default(DEFAULTS.videos.transcodeConcurrency),
  VIDEO_DELIVERY: z.enum(['app', 'x-accel-redirect']).default(DEFAULTS.videos.delivery.mode),
  VIDEO_ACCEL_PREFIX: z
    .string()
    .trim()
    .regex(
      ACCEL_PREFIX,
      'must be a path that starts and ends with /, of letters, digits, _, ~, - and dots within names',
    )
    .default(DEFAULTS.videos.delivery.accelPrefix),
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
  /** What a subscriber's batches grow to while it catches up. */
  readonly subscriberMaxBatchSize: number;
  /**
   * How old a page's cached projection read may be in a web process, and a watch page's up next
   * in any process (0: read on every request).
   */
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
  if (cookieSecrets?.some((key) => key === ''))
    throw new ConfigError('COOKIE_SECRET is malformed: an empty key between commas');
  if (env.NODE_ENV === 'production') {
    if (cookieSecrets === undefined)
      throw new ConfigError('COOKIE_SECRET is missing: production needs a real session secret');
    if (cookieSecrets.some((key) => key.length < MIN_SECRET_LENGTH || EXAMPLE_SECRETS.has(key))) {
      throw new ConfigError(
        `COOKIE_SECRET is malformed: production needs random keys of at least ${MIN_SECRET_LENGTH} characters each`,
      );
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
    subscriberMaxBatchSize: env.SUBSCRIBER_MAX_BATCH_SIZE,
    pageCacheMs: env.PAGE_CACHE_MS,
    trustProxy: env.TRUST_PROXY,
    statusToken: env.STATUS_TOKEN,
    requestBodyTimeoutMs: env.REQUEST_BODY_TIMEOUT_SECONDS * 1000,
    bcryptCost: env.BCRYPT_COST,
    // Only the first slash of a run can start the match: /\/+$/ would rescan a run from each of its slashes.
    siteUrl: (env.SITE_URL ?? defaultSiteUrl(env.PORT)).replace(/(?<!\/)\/+$/, ''),
    mail: Object.freeze({
      smtpUrl: env.SMTP_URL,
      dir: env.MAIL_DIR,
      from: env.MAIL_FROM,
      retryWindowSeconds: env.MAIL_RETRY_WINDOW_SECONDS,
    }),
    loginThrottle: Object.freeze({
      failuresPerDevice: { points: env.LOGIN_FAILURES_PER_DEVICE, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
      failuresPerAddress: { points: env.LOGIN_FAILURES_PER_ADDRESS, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
      untrustedPerAccount: { tries: env.LOGIN_FAILURES_PER_ACCOUNT, refillSeconds: env.LOGIN_ACCOUNT_REFILL_SECONDS },
    }),
    rateLimits: Object.freeze({
      registrationsPerAddress: {
        points: env.REGISTRATIONS_PER_ADDRESS,
        windowSeconds: env.REGISTRATION_WINDOW_SECONDS,
      },
      videoEditsPerCreator: { points: env.VIDEO_EDITS_PER_CREATOR, windowSeconds: env.VIDEO_EDIT_WINDOW_SECONDS },
      viewingsPerAddress: { points: env.VIEWINGS_PER_ADDRESS, windowSeconds: env.VIEWING_LIMIT_WINDOW_SECONDS },
      ownDataDownloadsPerUser: {
        points: env.OWN_DATA_DOWNLOADS_PER_USER,
        windowSeconds: env.OWN_DATA_DOWNLOAD_WINDOW_SECONDS,
      },
      playbackReportsPerUser: {
        points: env.PLAYBACK_REPORTS_PER_USER,
        windowSeconds: env.PLAYBACK_REPORT_WINDOW_SECONDS,
      },
      passwordResetsPerAddress: {
        points: env.PASSWORD_RESETS_PER_ADDRESS,
        windowSeconds: env.PASSWORD_RESET_WINDOW_SECONDS,
      },
      passwordResetsPerEmail: {
        points: env.PASSWORD_RESETS_PER_EMAIL,
        windowSeconds: env.PASSWORD_RESET_WINDOW_SECONDS,
      },
      passwordChecksPerUser: { points: env.PASSWORD_CHECKS_PER_USER, windowSeconds: env.PASSWORD_CHECK_WINDOW_SECONDS },
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
        resourceWaitMs:
          env.TRANSCODE_RESOURCE_WAIT_MINUTES === undefined ? undefined : env.TRANSCODE_RESOURCE_WAIT_MINUTES * 60_000,
        runningPerCreator: env.TRANSCODES_RUNNING_PER_CREATOR,
        queuedPerCreator: env.TRANSCODES_QUEUED_PER_CREATOR,
      }),
      delivery: Object.freeze({ mode: env.VIDEO_DELIVERY, accelPrefix: env.VIDEO_ACCEL_PREFIX }),
    }),
    seedDemo: env.SEED_DEMO === undefined ? env.NODE_ENV === 'development' : env.SEED_DEMO === 'true',
    auditKeys,
  });
}
