import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Knex } from 'knex';
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Limit, RateLimitSettings } from '../config/defaults.ts';

/** rate-limiter-flexible's table (its own shape); login-throttle.ts keeps its allowances there too. */
export const RATE_LIMITS_TABLE = 'rate_limits';

/** Keys are hashed: the table then holds no email addresses, and no key outgrows its column. */
export const keyOf = (value: string): string => createHash('sha256').update(value).digest('base64url');

export function limiter(
  db: Knex,
  prefix: string,
  { points, windowSeconds }: Limit,
  tableName = RATE_LIMITS_TABLE,
): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: db,
    storeType: 'knex',
    tableName,
    // Made by a migration: the app never creates tables while it serves.
    tableCreated: true,
    keyPrefix: prefix,
    points,
    duration: windowSeconds,
  });
}

/** The eight groups of an IPv6 address, `::` filled in. */
function ipv6Groups(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}

/**
 * The client a limit counts: an IPv4 address as itself (also when written as IPv6), an IPv6
 * address by its /64, since one subscriber is usually given a whole /64 to pick from.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${ipv6Groups(address.toLowerCase().split('%')[0]!)
    .slice(0, 4)
    .map((group) => Number.parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}

/** Seconds until `result` frees a point, at least 1 (Retry-After takes whole seconds). */
const secondsUntilFree = (result: RateLimiterRes): number => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

function isLimiterAnswer(value: unknown): value is RateLimiterRes {
  return typeof value === 'object' && value !== null && 'msBeforeNext' in value && !(value instanceof Error);
}

/**
 * Takes one point from `store`'s allowance for `key`: 0 if it had one, else the seconds to wait.
 * consume() is one atomic upsert: of any number of requests at once, only as many as the
 * allowance get through. It rejects with the limiter's answer when the allowance is spent.
 */
export async function takePoint(store: RateLimiterPostgres, key: string): Promise<number> {
  try {
    await store.consume(key, 1);
    return 0;
  } catch (rejection) {
    if (isLimiterAnswer(rejection)) return secondsUntilFree(rejection);
    throw rejection;
  }
}

export interface RateLimits {
  /** Takes one registration from the address's allowance: 0 if it had one, else the seconds to wait. */
  registrationWait(address: string): Promise<number>;
  /** Takes one name or description change from the creator's allowance: 0 if they had one, else the seconds to wait. */
  videoEditWait(userId: string): Promise<number>;
  /** Takes one viewing from the address's allowance: 0 if it had one, else the seconds to wait. */
  viewingWait(address: string): Promise<number>;
  /** Takes one "download my data" from the user's allowance: 0 if they had one, else the seconds to wait. */
  ownDataDownloadWait(userId: string): Promise<number>;
  /** Takes one report of where the user stopped watching from their allowance: 0 if they had one, else the seconds to wait. */
  playbackReportWait(userId: string): Promise<number>;
  /**
   * Takes one "forgot your password?" request from the client address's allowance and, if it had
   * one, from the typed email's (known or not, so the answer says nothing of the account): 0 if
   * both had one, else the seconds to wait.
   */
  passwordResetWait(address: string, email: string): Promise<number>;
  /** Takes one try of the current password from the user's allowance: 0 if they had one, else the seconds to wait. */
  passwordCheckWait(userId: string): Promise<number>;
}

/**
 * Limits on mass registration and on a creator's edits (each change is a command kept for good),
 * and, in login-throttle.ts, on guessing passwords; kept in the app database through
 * rate-limiter-flexible's PostgreSQL store, so every web process counts against the same limits.
 */
export function createRateLimits(db: Knex, settings: RateLimitSettings): RateLimits {
  const registrations = limiter(db, 'registrations-address', settings.registrationsPerAddress);
  const videoEdits = limiter(db, 'video-edits-creator', settings.videoEditsPerCreator);
  // Unlogged: taken at every viewing, it must not cost a disk flush (the migration says why).
  const viewings = limiter(db, 'viewings-address', settings.viewingsPerAddress, 'viewing_rate_limits');
  const downloads = limiter(db, 'own-data-downloads-user', settings.ownDataDownloadsPerUser);
  // Unlogged, as the viewings' (taken every 15 s of watching, it must not cost a disk flush).
  const playbackReports = limiter(db, 'playback-reports-user', settings.playbackReportsPerUser, 'viewing_rate_limits');
  const resetsPerAddress = limiter(db, 'password-resets-address', settings.passwordResetsPerAddress);
  const resetsPerEmail = limiter(db, 'password-resets-email', settings.passwordResetsPerEmail);
  const passwordChecks = limiter(db, 'password-checks-user', settings.passwordChecksPerUser);
  return {
    async passwordResetWait(address, email) {
      // The client first: a request it refuses costs the address's allowance nothing.
      const addressWait = await takePoint(resetsPerAddress, keyOf(clientKey(address)));
      return addressWait > 0 ? addressWait : takePoint(resetsPerEmail, keyOf(email));
    },
    passwordCheckWait: (userId) => takePoint(passwordChecks, keyOf(userId)),
    registrationWait: (address) => takePoint(registrations, keyOf(clientKey(address))),
    videoEditWait: (userId) => takePoint(videoEdits, keyOf(userId)),
    viewingWait: (address) => takePoint(viewings, keyOf(clientKey(address))),
    ownDataDownloadWait: (userId) => takePoint(downloads, keyOf(userId)),
    playbackReportWait: (userId) => takePoint(playbackReports, keyOf(userId)),
  };
}
