import type pg from 'pg';
import { HttpError } from '../../../web/errors.ts';

export class ConflictError extends HttpError {
  override name = 'ConflictError';
  constructor(message: string) {
    super(409, message);
  }
}

// 'PARK': the advisory locks' first key, so they cannot meet another feature's locks.
const LOCK_CLASS = 0x5041524b;
/** The two int4 keys of the advisory lock on the Parked message at a global position. */
export const parkedLockKey = (globalPosition: number): [number, number] => [LOCK_CLASS, globalPosition % 2_147_483_647];
const TRY_LOCK = { replay: 'pg_try_advisory_lock', discard: 'pg_try_advisory_lock_shared' } as const;
const BUSY = 'Someone is acting on that parked message right now. Reload the page to see the outcome.';
const UNLOCK = { replay: 'pg_advisory_unlock', discard: 'pg_advisory_unlock_shared' } as const;

interface ParkedClaims {
  /**
   * Runs `act` while this process, and no other, may act on the Parked message at that
   * position; a 409 when another process holds it. A replay holds it alone (its handler runs
   * before anything is recorded, so only a lock keeps a second replay from running it again);
   * discards share it (each only writes, and its deterministic id lets one through), so a
   * discard cannot land while a replay is under way, nor a replay start while a discard is.
   */
  claim<T>(globalPosition: number, kind: 'replay' | 'discard', act: () => Promise<T>): Promise<T>;
}

/**
 * PostgreSQL session advisory locks, held on a connection of their own for as long as the act
 * runs. A replay of a message this process is replaying already is a 409 at once; replays of
 * other messages queue behind each other, so at most one connection waits out a replay's
 * retries and the shared pool is never filled with lock holders.
 */
export function parkedClaims(pool: pg.Pool): ParkedClaims {
  let replays: Promise<unknown> = Promise.resolve();
  const replaying = new Set<number>();

  async function locked<T>(globalPosition: number, kind: 'replay' | 'discard', act: () => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const key = parkedLockKey(globalPosition);
      const got = await client.query<{ got: boolean }>(`SELECT ${TRY_LOCK[kind]}($1::int, $2::int) AS got`, key);
      if (!got.rows[0]?.got) throw new ConflictError(BUSY);
      try {
        return await act();
      } finally {
        await client.query(`SELECT ${UNLOCK[kind]}($1::int, $2::int)`, key).catch((error: unknown) => {
          // Closing the connection ends its locks too.
          broken = error instanceof Error ? error : new Error(String(error));
        });
      }
    } finally {
      client.release(broken);
    }
  }

  return {
    async claim(globalPosition, kind, act) {
      if (kind === 'discard') return locked(globalPosition, kind, act);
      if (replaying.has(globalPosition)) throw new ConflictError(BUSY);
      replaying.add(globalPosition);
      try {
        const run = replays.then(() => locked(globalPosition, kind, act));
        replays = run.catch(() => undefined);
        return await run;
      } finally {
        replaying.delete(globalPosition);
      }
    },
  };
}
