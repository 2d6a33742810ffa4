import { randomUUID } from 'node:crypto';
import type { DatabaseUrls } from '../src/config/env.ts';

/**
 * A fresh pair of database names for one bench run (`vt_bench_<random>_ms` and `_app`), on the
 * server BENCH_DATABASE_URL names or, without it, on the embedded PostgreSQL the bench started.
 */
export function benchDatabaseUrls(
  configured: string | undefined,
  embedded: { url(name: string): string } | undefined,
): DatabaseUrls {
  const url = (name: string) => {
    if (embedded) return embedded.url(name);
    if (!configured) throw new Error('neither BENCH_DATABASE_URL nor an embedded PostgreSQL to name databases on');
    const u = new URL(configured);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const suffix = randomUUID().slice(0, 8);
  return { messageStoreUrl: url(`vt_bench_${suffix}_ms`), databaseUrl: url(`vt_bench_${suffix}_app`) };
}
