import pg from 'pg';
import { BUILD_LOCK, buildTraceIndexInBackground, installTraceIndex } from '../../src/db/install-trace-index.ts';
import { ensureDatabase } from '../../src/db/ensure-database.ts';
import { installMessageDb } from '../../src/db/install-message-db.ts';
import { browseMessages } from '../../src/message-queries/browse.ts';
import { exportBatches } from '../../src/message-queries/export-batches.ts';
import { traceCondition } from '../../src/message-queries/export-conditions.ts';
import { relatedMessages, loadSummary } from '../../src/message-queries/related.ts';
import { findTrace } from '../../src/message-queries/traces.ts';
import { TRACE_ID_EXPRESSION, TRACE_INDEX } from '../../src/message-store/index.ts';
import { messageStoreConnectionConfig } from '../../src/message-store/pool.ts';
import { scratchDatabaseUrl, silentLogger } from '../helpers/databases.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import type { Scope } from '../helpers/scope.ts';
import { waitUntil } from '../helpers/wait-until.ts';

// Every lookup of a trace goes through the trace-id index: the trace page, the message
// browser's trace filter, a message's "rest of its trace" and a trace's export. Without it each
// scanned a window of the store (or all of it), which on millions of messages is the slowest
// admin page. Tested by the index's own scan counter: a query that stops naming the indexed
// expression exactly stops counting.

async function indexScans(client: pg.ClientBase): Promise<number> {
  // Stats are read afresh each time, not from the transaction's snapshot.
  await client.query('SELECT pg_stat_clear_snapshot()');
  const result = await client.query<{ scans: string }>(
    `SELECT idx_scan AS scans FROM pg_stat_user_indexes WHERE indexrelname = $1`,
    [TRACE_INDEX],
  );
  return Number(result.rows[0]?.scans ?? -1);
}

/**
 * Runs `lookup` on a connection of its own that may not scan the table whole unless allowed (so
 * a store of a few rows is planned as a big one would be), then ends it: a backend that exits reports its
 * counters at once.
 */
async function scansBy(
  url: string,
  watcher: pg.ClientBase,
  lookup: (pool: pg.Pool) => Promise<unknown>,
  { wholeTableAllowed = false } = {},
): Promise<number> {
  const before = await indexScans(watcher);
  const config = messageStoreConnectionConfig(url);
  const options = `${config.options ?? ''}${wholeTableAllowed ? '' : ' -c enable_seqscan=off'}`;
  const pool = new pg.Pool({ ...config, options, max: 1 });
  try {
    await lookup(pool);
  } finally {
    await pool.end();
  }
  return waitUntil(
    'the index counters to report',
    async () => {
      const after = await indexScans(watcher);
      return after > before ? after - before : false;
    },
    { timeoutMs: 5_000 },
  ).catch(() => 0);
}

async function connect(scope: Scope, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return scope.add(client, (c) => c.end());
}

scopedTest(
  'trace-id index: the trace page, the browser’s filter, the rest of a trace and its export read it',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const watcher = await connect(scope, urls.messageStoreUrl);
    const category = uniqueCategory();
    const traceId = crypto.randomUUID();
    await store.write(`${category}-1`, message('Started', {}, { traceId }));
    const [first] = await store.readStream(`${category}-1`);
    for (let n = 0; n < 20; n += 1)
      await store.write(`${category}-${n}`, message('Other', {}, { traceId: crypto.randomUUID() }));
    await store.write(`${category}-2`, message('Finished', {}, { traceId }));

    const url = urls.messageStoreUrl;
    let found: string[] = [];
    t.ok(
      (await scansBy(url, watcher, async (pool) => {
        found = (await findTrace(pool, traceId)).messages.map((m) => m.type);
      })) > 0,
      'the trace page',
    );
    t.deepEqual(found, ['Started', 'Finished'], 'finds the trace, in order');
    t.ok(
      (await scansBy(url, watcher, async (pool) => {
        // A window smaller than the gap between them: a trace is not looked for in windows.
        found = (await browseMessages(pool, { filters: { traceId } }, { window: 5 })).messages.map((m) => m.type);
      })) > 0,
      'the message browser filtered by trace',
    );
    t.deepEqual(found, ['Finished', 'Started'], 'both on one page, newest first');
    t.ok(
      (await scansBy(url, watcher, async (pool) => {
        const summary = await loadSummary(pool, first!.globalPosition);
        found = (await relatedMessages(pool, summary!, 5)).sameTrace.map((m) => m.type);
      })) > 0,
      'a message’s page, for the rest of its trace',
    );
    t.deepEqual(found, ['Finished'], 'all of it however far away, leaving the message itself out');
    t.ok(
      (await scansBy(url, watcher, async (pool) => {
        found = [];
        for await (const batch of exportBatches(pool, {
          ...traceCondition(traceId),
          after: 0,
          upTo: Number.MAX_SAFE_INTEGER,
        }))
          found.push(...batch.map((m) => m.type));
      })) > 0,
      'a trace’s export',
    );
    t.deepEqual(found, ['Started', 'Finished'], 'exports the whole trace');
  },
);

scopedTest(
  'trace-id index: a message’s page lists 200 of the rest of a long trace and says there are more',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const stream = `${uniqueCategory()}-1`;
    const traceId = crypto.randomUUID();
    for (let n = 0; n < 202; n += 1) await store.write(stream, message('Step', { n }, { traceId }));
    const [first] = await store.readStream(stream, { batchSize: 1 });
    const related = await relatedMessages(pool, (await loadSummary(pool, first!.globalPosition))!);
    t.equal(related.sameTrace.length, 200, 'the first 200 of the other 201');
    t.equal(related.sameTraceCut, true, 'and that the trace holds more');
    const last = await relatedMessages(pool, (await loadSummary(pool, first!.globalPosition + 201))!);
    t.equal(last.sameTrace.length, 200, 'from its last message too');
  },
);

async function state(client: pg.ClientBase): Promise<{ oid: number; valid: boolean } | undefined> {
  const result = await client.query<{ oid: number; valid: boolean }>(
    `SELECT indexrelid::int AS oid, indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)`,
    [`message_store.${TRACE_INDEX}`],
  );
  return result.rows[0];
}

/** Fails when `work` takes longer than `seconds`, rather than hang the test. */
async function withinSeconds<T>(seconds: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Message DB store on the test server, without the trace-id index: as an older version left it. */
async function storeWithoutTheIndex(scope: Scope, label: string): Promise<{ url: string; client: pg.Client }> {
  const url = await scratchDatabaseUrl(label);
  await ensureDatabase(url, silentLogger);
  await installMessageDb(url, silentLogger);
  return { url, client: await connect(scope, url) };
}

scopedTest(
  'trace-id index: built by the running app, rebuilt when a build died half way, never waited for',
  async (t, scope) => {
    const { url, client } = await storeWithoutTheIndex(scope, 'trace_ix');
    t.equal(await state(client), undefined, 'installing Message DB does not build it: a start never waits for it');
    await buildTraceIndexInBackground(url, silentLogger).done;
    const built = await state(client);
    t.equal(built?.valid, true, 'the app builds it beside its work');
    t.equal(await installTraceIndex(client, silentLogger), false, 'a second start leaves a valid one alone');

    // What a CREATE INDEX CONCURRENTLY killed half way leaves behind.
    await client.query('UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass($1)', [
      `message_store.${TRACE_INDEX}`,
    ]);
    t.equal(await installTraceIndex(client, silentLogger), true, 'an invalid one is built again');
    const rebuilt = await state(client);
    t.ok(rebuilt?.valid && rebuilt.oid !== built?.oid, 'as a new, valid index');

    // Another process building it: this start goes on at once, without the index.
    const other = await connect(scope, url);
    await other.query('SELECT pg_advisory_lock($1)', [BUILD_LOCK]);
    await client.query(`DROP INDEX message_store.${TRACE_INDEX}`);
    t.equal(
      await installTraceIndex(client, silentLogger),
      false,
      'does not build while another process holds the lock',
    );
    t.equal(await state(client), undefined, 'and leaves the building to it');
    await other.query('SELECT pg_advisory_unlock($1)', [BUILD_LOCK]);
    t.equal(await installTraceIndex(client, silentLogger), true, 'the next start builds it');
  },
);

scopedTest(
  'trace-id index: a build that waits on another program’s transaction holds up neither the app nor its stop',
  async (t, scope) => {
    const { url, client } = await storeWithoutTheIndex(scope, 'trace_wait');
    // A concurrent build waits for every older transaction in the database, a backup's say.
    const blocker = await connect(scope, url);
    await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await blocker.query('SELECT count(*) FROM message_store.messages');
    const buildRunning = async (on: pg.ClientBase) =>
      (
        await on.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
             AND query LIKE '% INDEX CONCURRENTLY %' AND state = 'active' AND pid <> pg_backend_pid()`,
        )
      ).rows[0]!.n > 0;
    const waitingBuild = async () =>
      waitUntil('the build to wait on the open transaction', async () => {
        const waiting = await client.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
             AND query LIKE '% INDEX CONCURRENTLY %' AND wait_event_type = 'Lock'`,
        );
        return waiting.rows[0]?.pid;
      });

    // An operator ends the waiting build: its connection's error is logged, not thrown at the process.
    const ended = buildTraceIndexInBackground(url, silentLogger);
    await client.query('SELECT pg_terminate_backend($1)', [await waitingBuild()]);
    await ended.done;
    t.equal((await state(client))?.valid, false, 'a build ended half way leaves an invalid index, and the app runs on');

    // The app stops while the next start's build (a drop of that index first) still waits.
    const stopped = buildTraceIndexInBackground(url, silentLogger);
    await waitingBuild();
    await withinSeconds(5, stopped.stop());
    t.pass('the app stops while the build still waits');
    // PostgreSQL notices the connection gone and ends the statement, though the blocker is still open.
    await waitUntil('the server to end the abandoned build', async () => !(await buildRunning(client)), {
      timeoutMs: 5_000,
    });
    t.equal((await state(client))?.valid, false, 'ended before it could change anything');
    await blocker.query('COMMIT');
    t.equal(await installTraceIndex(client, silentLogger), true, 'the next start builds it');

    // Stopped while it still connects (a start that fails at once): the stop does not wait on the connect.
    await withinSeconds(5, buildTraceIndexInBackground(url, silentLogger).stop());
    t.pass('a stop as the build connects returns');
  },
);

scopedTest(
  'trace-id index: on a store analysed before the index existed, a start takes its statistics, and a message’s page reads it',
  async (t, scope) => {
    const { url, client } = await storeWithoutTheIndex(scope, 'trace_stats');
    // 200,000 messages in traces of seven, analysed, then indexed without statistics: as the first
    // version of this index (built at install, never analysed) left a store.
    // (Fewer, and the planner picks the index even from its guess of 0.5 % of rows a trace.)
    await client.query(`INSERT INTO message_store.messages (id, stream_name, type, position, data, metadata)
    SELECT gen_random_uuid(), 'thing-' || n, 'Happened', 0, '{}',
           jsonb_build_object('traceId', md5((n / 7)::text))
      FROM generate_series(1, 200000) n`);
    await client.query('ANALYZE message_store.messages');
    await client.query(`CREATE INDEX ${TRACE_INDEX} ON message_store.messages USING hash (${TRACE_ID_EXPRESSION})`);
    t.equal(await installTraceIndex(client, silentLogger), false, 'a valid index is not built again');
    const watcher = await connect(scope, url);
    const scans = await scansBy(
      url,
      watcher,
      async (pool) => {
        const summary = await loadSummary(pool, 100_000);
        return relatedMessages(pool, summary!);
      },
      { wholeTableAllowed: true },
    );
    t.ok(scans > 0, 'the rest of the trace comes from the index, planned with the statistics taken');
  },
);
