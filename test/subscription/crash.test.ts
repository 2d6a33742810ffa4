import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import type { createScope } from '../helpers/scope.ts';
import { createTally, openProjectionDb, tallied } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const SUBSCRIBER_ID = 'aggregators:test:counting';
const TOTAL = 500;

function startCounting(urls: DatabaseUrls, category: string, extra: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/run-counting-aggregator.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: urls.databaseUrl,
      MESSAGE_STORE_URL: urls.messageStoreUrl,
      CATEGORY: category,
      ...extra,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function setUp(scope: ReturnType<typeof createScope>, counters = 1) {
  const urls = await freshDatabases();
  const { pool } = await openTestStore(scope, urls, { max: 1 });
  const db = openProjectionDb(scope, urls.databaseUrl);
  await createTally(db, counters);
  const category = uniqueCategory();
  await pool.query(
    `SELECT write_message(gen_random_uuid()::text, $1 || '-' || gen_random_uuid()::text, 'Tick', '{}') FROM generate_series(1, $2)`,
    [category, TOTAL],
  );
  return { urls, db, category };
}

/** Restarts the aggregator and waits until it has stored the last position; the count must then be exact. */
async function restartAndFinish(
  scope: ReturnType<typeof createScope>,
  urls: DatabaseUrls,
  category: string,
  db: ReturnType<typeof openProjectionDb>,
  extra: Record<string, string> = {},
  subscriberIds: readonly string[] = [SUBSCRIBER_ID],
) {
  scope.add(startCounting(urls, category, extra), kill);
  await waitUntil(
    'the restarted aggregator to finish',
    async () => {
      const rows = await db('subscriber_positions')
        .whereIn('subscriber_id', subscriberIds)
        .select<{ position: string }[]>('position');
      return rows.length === subscriberIds.length && rows.every((row) => Number(row.position) >= TOTAL);
    },
    { timeoutMs: 60_000 },
  );
  return tallied(db);
}

scopedTest(
  'aggregator crash: killed after writing its projection but before the commit, it loses and repeats nothing',
  async (t, scope) => {
    const { urls, db, category } = await setUp(scope);
    const doomed = scope.add(startCounting(urls, category, { KILL_AT: '205' }), kill);
    const [, signal] = (await once(doomed, 'exit')) as [number | null, string | null];
    t.equal(signal, 'SIGKILL', 'it died mid-transaction');
    const atDeath = await tallied(db);
    t.ok(atDeath < 205, `the count it wrote in that transaction was never committed (${atDeath})`);
    t.equal(await restartAndFinish(scope, urls, category, db), TOTAL, `all ${TOTAL} counted exactly once`);
  },
);

/** The sessions of this database waiting on a lock in a statement that mentions `table`, once there is one. */
function waitingOn(db: ReturnType<typeof openProjectionDb>, table: string, except: number[] = []): Promise<number[]> {
  return waitUntil(`a wait on ${table}`, async () => {
    const waiting = await db.raw<{ rows: { pid: number }[] }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE ?`,
      [`%${table}%`],
    );
    const pids = waiting.rows.map((row) => row.pid).filter((pid) => !except.includes(pid));
    return pids.length > 0 ? pids : undefined;
  });
}

scopedTest(
  'aggregator crash: killed right after a batch commits, before anything else is stored, it loses and repeats nothing',
  async (t, scope) => {
    const { urls, db, category } = await setUp(scope);
    const running = scope.add(startCounting(urls, category), kill);
    await waitUntil('the aggregator to be part-way through', async () => (await tallied(db)) >= 100, { intervalMs: 5 });
    // 1. Hold the projection row: the aggregator blocks inside a batch transaction.
    const projection = await db.transaction();
    const position = await db.transaction();
    try {
      await projection('tally').where({ id: 1 }).forUpdate().first();
      await waitingOn(db, 'tally');
      // 2. Queue for the position row behind that transaction, so we hold it the instant it commits.
      const [{ pid }] = (await position.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid')).rows as [
        { pid: number },
      ];
      const queued = position('subscriber_positions')
        .where({ subscriber_id: SUBSCRIBER_ID })
        .forUpdate()
        .first()
        .then(() => true);
      await waitUntil('our lock request to queue', async () => {
        const rows = await db.raw<{ rows: unknown[] }>(
          `SELECT 1 FROM pg_stat_activity WHERE pid = ? AND wait_event_type = 'Lock'`,
          [pid],
        );
        return rows.rows.length > 0;
      });
      // 3. Let the batch commit; whatever the aggregator stores next now waits on us. Kill it there.
      await projection.rollback();
      await queued;
      const blocked = await waitingOn(db, 'subscriber_positions', [pid]);
      // A crash takes the machine's connections with it; a killed client alone would leave its
      // waiting statement to run on the server once we let go.
      await kill(running);
      await db.raw('SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid', [blocked]);
    } finally {
      if (!projection.isCompleted()) await projection.rollback();
      await position.rollback();
    }
    t.ok((await tallied(db)) < TOTAL, 'killed part-way');
    t.equal(await restartAndFinish(scope, urls, category, db), TOTAL, `all ${TOTAL} counted exactly once`);
  },
);

scopedTest(
  'aggregator crash: three subscribers of one category sharing their reads, killed mid-batch, lose and repeat nothing',
  async (t, scope) => {
    const { urls, db, category } = await setUp(scope, 3);
    // Batches grow to 80 as they catch up: the kill lands inside a shared batch, the other two
    // subscribers somewhere in theirs (or between them).
    const shared = { SUBSCRIBERS: '3', MAX_BATCH_SIZE: '80' };
    const doomed = scope.add(startCounting(urls, category, { ...shared, KILL_AT: '205' }), kill);
    const [, signal] = (await once(doomed, 'exit')) as [number | null, string | null];
    t.equal(signal, 'SIGKILL', 'it died mid-transaction');
    const atDeath = await Promise.all([1, 2, 3].map((counter) => tallied(db, counter)));
    t.ok(atDeath[2]! < 205, `the third's count in that transaction was never committed (${atDeath.join(', ')})`);
    const ids = [SUBSCRIBER_ID, `${SUBSCRIBER_ID}-2`, `${SUBSCRIBER_ID}-3`];
    await restartAndFinish(scope, urls, category, db, shared, ids);
    t.deepEqual(
      await Promise.all([1, 2, 3].map((counter) => tallied(db, counter))),
      [TOTAL, TOTAL, TOTAL],
      `each counted all ${TOTAL} exactly once`,
    );
  },
);
