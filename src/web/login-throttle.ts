import type { Knex } from 'knex';
import type { LoginThrottleSettings } from '../config/defaults.ts';
import { clientKey, keyOf, limiter, RATE_LIMITS_TABLE, takePoint } from './rate-limits.ts';

/**
 * Who is trying to log in: a browser whose device token proves it logged in to this account
 * before (device-cookie.ts), or anyone else, known only by their address.
 */
export type LogInClient = { readonly device: string } | { readonly address: string };

export interface LoginThrottle {
  /**
   * Takes one try before the password is checked, so a burst of guesses in parallel cannot all
   * pass a check made before any of them failed: 0 if there was one, else the seconds to wait.
   */
  take(email: string, client: LogInClient): Promise<number>;
  /** A good password gives the try back; a known browser's failures are forgotten. */
  succeeded(email: string, client: LogInClient): Promise<void>;
}

/**
 * OWASP's "slow down online guessing with device cookies". A known browser is limited only by
 * its own failures on its account (a lockout of that one device cookie), so nobody else's
 * failures, from anywhere, can keep the owner out of their usual browser. Other browsers are
 * limited per address (a fixed window), and share a small allowance of tries per account that
 * refills steadily: a guesser with many addresses gets `tries` and then one every
 * `refillSeconds`. The owner on a new browser waits one refill, never a window, once the guessing
 * stops; while it goes on the guesser takes each try as it comes back, so only a known browser is
 * sure to get in.
 */
export function createLoginThrottle(
  db: Knex,
  settings: LoginThrottleSettings,
  now: () => number = Date.now,
): LoginThrottle {
  const perDevice = limiter(db, 'login-failures-device', settings.failuresPerDevice);
  const perAddress = limiter(db, 'login-failures-address', settings.failuresPerAddress);
  const perAccount = refillingAllowance(db, 'login-untrusted-account', settings.untrustedPerAccount, now);
  return {
    async take(email, client) {
      if ('device' in client) return takePoint(perDevice, keyOf(client.device));
      // The address first: a try it refuses costs the account's allowance nothing.
      const addressWait = await takePoint(perAddress, keyOf(clientKey(client.address)));
      return addressWait > 0 ? addressWait : perAccount.take(keyOf(email));
    },
    async succeeded(email, client) {
      if ('device' in client) {
        await perDevice.delete(keyOf(client.device));
        return;
      }
      await Promise.all([perAddress.reward(keyOf(clientKey(client.address)), 1), perAccount.giveBack(keyOf(email))]);
    },
  };
}

/**
 * A token bucket of `tries` that gains one every `refillSeconds`, kept as the generic cell rate
 * algorithm does: one number per key, the time at which the bucket is full again. A try is taken
 * when that time is at most (tries - 1) refills ahead, and moves it one refill on. The number
 * lives in rate-limiter-flexible's table as the row's `expire` (a full bucket is the same as no
 * row), so the library's sweep of expired rows removes these too.
 */
function refillingAllowance(
  db: Knex,
  prefix: string,
  { tries, refillSeconds }: { tries: number; refillSeconds: number },
  now: () => number,
) {
  const refillMs = refillSeconds * 1000;
  const toleranceMs = (tries - 1) * refillMs;
  const rowKey = (key: string) => `${prefix}:${key}`;
  return {
    /** 0 if a try was left (and is now taken), else the seconds until the next one. */
    async take(key: string): Promise<number> {
      const at = now();
      // One statement: concurrent tries are serialised on the row, so no more than the bucket holds pass.
      const taken = await db.raw<{ rows: unknown[] }>(
        `INSERT INTO ?? AS bucket (key, points, expire) VALUES (?, 0, ?::bigint + ?::bigint)
         ON CONFLICT (key) DO UPDATE SET expire = GREATEST(bucket.expire, ?::bigint) + ?::bigint
          WHERE GREATEST(bucket.expire, ?::bigint) - ?::bigint <= ?::bigint
         RETURNING expire`,
        [RATE_LIMITS_TABLE, rowKey(key), at, refillMs, at, refillMs, at, at, toleranceMs],
      );
      if (taken.rows.length > 0) return 0;
      const row = await db(RATE_LIMITS_TABLE)
        .where({ key: rowKey(key) })
        .first<{ expire: string | null } | undefined>('expire');
      const fullAt = Number(row?.expire ?? at);
      return Math.max(1, Math.ceil((fullAt - toleranceMs - at) / 1000));
    },
    /** A try that turned out to be the owner's goes back into the bucket. */
    async giveBack(key: string): Promise<void> {
      await db(RATE_LIMITS_TABLE)
        .where({ key: rowKey(key) })
        .decrement('expire', refillMs);
    },
  };
}
