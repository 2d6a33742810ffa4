import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * Named prepared statements (Knex's `.options()`, passed on to pg): each connection parses one
 * once, and PostgreSQL may keep one plan for it (plan_cache_mode auto: after five runs, when that
 * plan costs no more than those made for the values). A search's page statement planned in
 * 0.6 ms of its 2.6 ms (docs/benchmarks.md).
 *
 * The name is the text's hash, so one text is one statement on a connection and two texts never
 * share a name (pg refuses that). Each named text stays on every connection that ran it until the
 * connection closes: only statements whose texts come from a small fixed set may be named, never
 * one whose text grows with what a visitor typed.
 */

/** How many times each text's statement was renamed (below), by its hash. */
const renamed = new Map<string, number>();

const hashOf = (sql: string) => createHash('sha256').update(sql).digest('base64url').slice(0, 40);

const nameOf = (hash: string, times: number) => (times === 0 ? `vt_${hash}` : `vt_${hash}_${times}`);

/**
 * A kept statement whose result columns changed type under it (a migration run by another
 * process, an ALTER COLUMN … TYPE) fails with this at every run on every connection that kept it.
 * Told by the routine that raises it, not by its message, which is in the server's language.
 */
const isResultTypeChanged = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === '0A000' &&
  (error as { routine?: unknown }).routine === 'RevalidateCachedQuery';

/**
 * The rows of `sql` run as a prepared statement. If the columns it returns changed type while
 * connections kept it, it is renamed, so each connection parses it again, and run once more:
 * renamed once however many requests failed at once (each renames from the name it ran under).
 * In a transaction the failure has aborted it, so there the error is the caller's (the name
 * changed all the same, so the transaction run again finds the new one).
 */
export async function preparedRaw<Row>(db: Knex, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
  const hash = hashOf(sql);
  const run = async (times: number) =>
    (await db.raw<{ rows: Row[] }>(sql, bindings).options({ name: nameOf(hash, times) })).rows;
  const times = renamed.get(hash) ?? 0;
  try {
    return await run(times);
  } catch (error) {
    if (!isResultTypeChanged(error)) throw error;
    if ((renamed.get(hash) ?? 0) === times) renamed.set(hash, times + 1);
    if (db.isTransaction) throw error;
    return await run(renamed.get(hash) ?? times + 1);
  }
}

/**
 * A query builder's rows, its SQL run by preparedRaw: for a builder whose text is the same at
 * every call (no condition added or left out by the caller's values). Its SQL must hold no `?`
 * but its bindings', since the text is bound again here.
 */
export async function preparedRows<Row>(db: Knex, query: Knex.QueryBuilder): Promise<Row[]> {
  const { sql, bindings } = query.toSQL();
  return preparedRaw<Row>(db, sql, bindings);
}
