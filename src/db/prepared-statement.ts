import { createHash } from 'node:crypto';

/**
 * Query options that make `sql` a named prepared statement (Knex's `.options()`, passed on to
 * pg): each connection parses it once, and PostgreSQL may keep one plan for it (plan_cache_mode
 * auto: after five runs, when that plan costs no more than those made for the values). A search's
 * page statement planned in 0.6 ms of its 2.6 ms (docs/benchmarks.md).
 *
 * The name is the text's hash, so one text is one statement on a connection and two texts never
 * share a name (pg refuses that). Each named text stays on every connection that ran it until the
 * connection closes: only statements whose texts come from a small fixed set may be named, never
 * one whose text grows with what a visitor typed.
 */
export function preparedStatement(sql: string): { readonly name: string } {
  return { name: `vt_${createHash('sha256').update(sql).digest('base64url').slice(0, 40)}` };
}
