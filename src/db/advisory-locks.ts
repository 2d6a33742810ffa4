import type { Knex } from 'knex';

export interface LockSpace {
  /** Put before every key, so that two projections' ids never share a lock. */
  readonly prefix: string;
  /**
   * Each schema its own space: a rebuild's shadow tables (another schema) then never wait on
   * the live ones. Without it, the shadow's writes wait on live's and the other way round.
   */
  readonly perSchema?: boolean;
}

/**
 * Takes a transaction-scoped advisory lock on each key, in the keys' sorted order, so that two
 * transactions locking overlapping sets wait for each other instead of deadlocking. One
 * statement for all of them: a batch of a catch-up names hundreds of viewers or creators, and a
 * round trip each held the batch up for as many. The keys are sorted here; the function scan
 * returns the array in that order and `ORDER BY k.n` keeps it (the plan has no sort, the scan
 * being ordered already; were one added, a volatile select list is evaluated after it). All the
 * waits now count against the one statement's timeout (30 s on the app's pools) where each lock
 * had its own: a batch that waits that long fails, and is applied again a message at a time.
 */
export async function lockEachInOrder(
  trx: Knex.Transaction,
  { prefix, perSchema = false }: LockSpace,
  keys: Iterable<string>,
): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  const space = perSchema ? `? || current_schema() || ':'` : '?';
  await trx.raw(
    `SELECT pg_advisory_xact_lock(hashtextextended(${space} || k.key, 0))
       FROM unnest(?::text[]) WITH ORDINALITY AS k(key, n)
      ORDER BY k.n`,
    [prefix, sorted],
  );
}
