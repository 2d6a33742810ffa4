import type pg from 'pg';
import { CATEGORY_READ } from '../../src/message-store/read.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { viewingsApplied, writeViewings } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { freshDatabases } from '../helpers/databases.ts';

const BACKLOG = 3_000;

/** Counts the category reads sent through `pool` from now on (the statement readCategory sends). */
function countCategoryReads(pool: pg.Pool): { readonly reads: number } {
  const counter = { reads: 0 };
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    if (args[0] === CATEGORY_READ) counter.reads += 1;
    return query(...args);
  };
  return counter;
}

scopedTest(
  'shared reads: the app’s subscribers of the viewing category read a backlog once between them, not once each',
  async (t, scope) => {
    const urls = await freshDatabases();

    // Only the subscribers of the viewing category run: every read counted is one of theirs.
    const listing = await createTestSystem({ urls });
    const viewing = listing.subscriptions.filter((s) => s.status().category === 'viewing').map((s) => s.subscriberId);
    await listing.stop();
    const system = await createTestSystem({ urls, run: { subscribers: viewing } });
    scope.add(system, () => system.stop());
    t.ok(viewing.length >= 4, `${viewing.length} subscribers read the viewing category`);
    const pool = system.messageStorePool;
    const counted = countCategoryReads(pool);
    system.start();
    await waitUntil('every subscriber is running', () =>
      system.subscriptions.filter((s) => viewing.includes(s.subscriberId)).every((s) => s.status().state === 'running'),
    );
    await writeViewings(pool, BACKLOG);
    await waitUntil(
      'every viewing subscriber has applied the backlog',
      () => viewingsApplied(system.db, pool, viewing),
      {
        timeoutMs: 60_000,
      },
    );
    const reads = counted.reads;
    // Batches of 100 growing to 1,000: seven reads of the backlog for one subscriber alone (the
    // last one short), and one at start.
    const alone = 8;
    t.ok(reads >= 6, `${reads} category reads counted: the backlog takes at least six`);
    t.ok(
      reads <= 2 * alone,
      `${reads} category reads in all, where ${viewing.length} subscribers each reading for itself take ${alone * viewing.length}`,
    );
  },
);
