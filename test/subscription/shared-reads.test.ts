import pg from 'pg';
import { createTestSystem } from '../helpers/test-system.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { viewingsApplied, writeViewings } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { freshDatabases } from '../helpers/databases.ts';

const BACKLOG = 3_000;

/** Calls of Message DB's category read on the store's server since its statistics began (the server counts them: track_functions). */
async function categoryReads(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ calls: string | null }>(
      `SELECT sum(calls) AS calls FROM pg_stat_user_functions WHERE funcname = 'get_category_messages'`,
    );
    return Number(result.rows[0]?.calls ?? 0);
  } finally {
    await client.end();
  }
}

scopedTest(
  'shared reads: the app’s subscribers of the viewing category read a backlog once between them, not once each',
  async (t, scope) => {
    const urls = await freshDatabases();
    const admin = new pg.Client({ connectionString: urls.messageStoreUrl });
    await admin.connect();
    // Counted by the server for every connection opened from now on.
    await admin.query(`SELECT set_config('track_functions', 'pl', false)`);
    await admin.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET track_functions = ''pl''', current_database()); END $$`,
    );
    await admin.end();

    // Only the subscribers of the viewing category run: every read counted is one of theirs.
    const listing = await createTestSystem({ urls });
    const viewing = listing.subscriptions.filter((s) => s.status().category === 'viewing').map((s) => s.subscriberId);
    await listing.stop();
    const system = await createTestSystem({ urls, run: { subscribers: viewing } });
    let stopped = false;
    scope.add(system, () => (stopped ? undefined : system.stop()));
    t.ok(viewing.length >= 4, `${viewing.length} subscribers read the viewing category`);
    const pool = system.messageStorePool;
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
    // Stopped, its connections closed: each has reported what it counted.
    await system.stop();
    stopped = true;
    const reads = await waitUntil('the server to count the reads', async () => {
      const calls = await categoryReads(urls.messageStoreUrl);
      return calls > 0 ? calls : undefined;
    });
    // Batches of 100 growing to 1,000: seven reads of the backlog for one subscriber alone (the
    // last one short), and one at start.
    const alone = 8;
    t.ok(
      reads <= 2 * alone,
      `${reads} category reads in all, where ${viewing.length} subscribers each reading for itself take ${alone * viewing.length}`,
    );
  },
);
