import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { RateLimiterPostgres, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Limit, RateLimitSettings } from '../config/env.ts';

const TABLE = 'rate_limits';

/** Keys are hashed: the table then holds no email addresses, and no key outgrows its column. */
const keyOf = (value: string): string => createHash('sha256').update(value).digest('base64url');

function limiter(db: Knex, prefix: string, { points, windowSeconds }: Limit): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: db,
    storeType: 'knex',
    tableName: TABLE,
    // Made by a migration: the app never creates tables while it serves.
    tableCreated: true,
    keyPrefix: prefix,
    points,
    duration: windowSeconds,
  });
}

/** Seconds until `result` frees a point, at least 1 (Retry-After takes whole seconds). */
const secondsUntilFree = (result: RateLimiterRes): number => Math.max(1, Math.ceil(result.msBeforeNext / 1000));

function isLimiterAnswer(value: unknown): value is RateLimiterRes {
  return typeof value === 'object' && value !== null && 'msBeforeNext' in value && !(value instanceof Error);
}

export interface RateLimits {
  /** 0 if this account and this address may try to log in, else the seconds to wait. */
  loginWait(email: string, address: string): Promise<number>;
  loginFailed(email: string, address: string): Promise<void>;
  /** A good password clears the account's failures (not the address's: one address, many accounts). */
  loginSucceeded(email: string): Promise<void>;
  /** Takes one registration from the address's allowance: 0 if it had one, else the seconds to wait. */
  registrationWait(address: string): Promise<number>;
}

/**
 * Limits on guessing passwords and on mass registration, kept in the app database through
 * rate-limiter-flexible's PostgreSQL store, so every web process counts against the same limits.
 */
export function createRateLimits(db: Knex, settings: RateLimitSettings): RateLimits {
  const perAccount = limiter(db, 'login-failures-account', settings.loginFailuresPerAccount);
  const perAddress = limiter(db, 'login-failures-address', settings.loginFailuresPerAddress);
  const registrations = limiter(db, 'registrations-address', settings.registrationsPerAddress);

  const wait = async (store: RateLimiterPostgres, key: string, points: number): Promise<number> => {
    const state = await store.get(key);
    return state && state.consumedPoints >= points ? secondsUntilFree(state) : 0;
  };

  return {
    async loginWait(email, address) {
      const waits = await Promise.all([
        wait(perAccount, keyOf(email), settings.loginFailuresPerAccount.points),
        wait(perAddress, keyOf(address), settings.loginFailuresPerAddress.points),
      ]);
      return Math.max(...waits);
    },
    async loginFailed(email, address) {
      await Promise.all([perAccount.penalty(keyOf(email), 1), perAddress.penalty(keyOf(address), 1)]);
    },
    async loginSucceeded(email) {
      await perAccount.delete(keyOf(email));
    },
    async registrationWait(address) {
      try {
        await registrations.consume(keyOf(address), 1);
        return 0;
      } catch (rejection) {
        // The library rejects with its answer when the allowance is spent, with an Error when the store fails.
        if (isLimiterAnswer(rejection)) return secondsUntilFree(rejection);
        throw rejection;
      }
    },
  };
}
