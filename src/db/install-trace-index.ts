import pg from 'pg';
import type { Logger } from '../logger.ts';
import { TRACE_ID_EXPRESSION, TRACE_INDEX } from '../message-store/index.ts';

// Any constant will do: it only keeps two processes from building the index at once.
export const BUILD_LOCK = 7_212_664_020;

type IndexState = 'valid' | 'invalid' | 'absent';

async function indexState(client: pg.ClientBase): Promise<IndexState> {
  const result = await client.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = 'message_store'::regnamespace`,
    [TRACE_INDEX],
  );
  const row = result.rows[0];
  return row === undefined ? 'absent' : row.valid ? 'valid' : 'invalid';
}

/**
 * Statistics are not to be had: an empty table gets none from ANALYZE, and a role that does not
 * own the table may not see an index's (nor, unless it owns the database, take them).
 */
async function statisticsOutOfReach(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ out: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM message_store.messages) OR NOT pg_has_role(c.relowner, 'USAGE') AS out
       FROM pg_class c WHERE c.oid = 'message_store.messages'::regclass`,
  );
  return result.rows[0]?.out === true;
}

/** PostgreSQL keeps statistics of an indexed expression only from an ANALYZE after the index exists. */
async function hasStatistics(client: pg.ClientBase): Promise<boolean> {
  const result = await client.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'message_store' AND tablename = $1) AS present`,
    [TRACE_INDEX],
  );
  return result.rows[0]?.present === true;
}

/**
 * Adds a hash index on each message's trace id, which Message DB does not have, so a trace,
 * the message browser's trace filter and a message's "rest of its trace" are found by the
 * index rather than by scanning. Hash, not B-tree: only equality is asked, and its entries
 * hold a 4-byte hash instead of the 36-character id.
 *
 * Built CONCURRENTLY, outside any transaction, so writers are never held up, even on a big
 * store being upgraded. A process that finds another one building goes on without waiting:
 * until the index is valid, those pages scan, slower but right. A build that died half way
 * leaves an invalid index behind, which the next start drops and builds again. Then the table
 * is analysed: until it is, the planner guesses how many messages share a trace id (0.5 % of
 * them) and walks the primary key instead, slower than the scan the index replaced.
 *
 * The session must not be in a transaction. Returns whether this call built the index.
 */
export async function installTraceIndex(client: pg.ClientBase, logger: Logger): Promise<boolean> {
  const done = async (state: IndexState) =>
    state === 'valid' && ((await hasStatistics(client)) || (await statisticsOutOfReach(client)));
  if (await done(await indexState(client))) return false;
  const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [BUILD_LOCK]);
  if (!locked.rows[0]?.locked) {
    logger.info('another process is building the trace-id index; going on without it');
    return false;
  }
  try {
    // Looked at again under the lock: the other process may have finished in between.
    const state = await indexState(client);
    if (await done(state)) return false;
    if (state === 'invalid') await client.query(`DROP INDEX CONCURRENTLY message_store.${TRACE_INDEX}`);
    const started = Date.now();
    if (state !== 'valid') {
      logger.info('building the trace-id index on the message store (once; writers are not held up)');
      await client.query(
        `CREATE INDEX CONCURRENTLY ${TRACE_INDEX} ON message_store.messages USING hash (${TRACE_ID_EXPRESSION})`,
      );
    }
    await client.query('ANALYZE message_store.messages');
    logger.info({ ms: Date.now() - started }, 'the trace-id index is built and the table analysed');
    return state !== 'valid';
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [BUILD_LOCK]);
  }
}

export interface TraceIndexBuild {
  /** Settles when the build has ended, built or not (a failure is logged, never thrown). */
  readonly done: Promise<void>;
  /** Ends the build's connection; PostgreSQL ends a build still running within a second, and the next start builds it. */
  stop(): Promise<void>;
}

/**
 * Builds the index on a connection of its own while the app runs. Not awaited by a start: a
 * concurrent build waits for every transaction older than it in the database (another
 * program's open transaction, a backup), and a start must not wait with it.
 */
export function buildTraceIndexInBackground(url: string, logger: Logger): TraceIndexBuild {
  const client = new pg.Client({
    connectionString: url,
    // No statement or lock timeout: a role's default would cancel a long build at every start.
    // The connection check ends the build on the server when this process goes (a stop, a
    // crash), leaving an invalid index the next start builds again, rather than a build running
    // on with nobody to take its statistics.
    options:
      '-c client_min_messages=warning -c statement_timeout=0 -c lock_timeout=0 -c client_connection_check_interval=1000',
  });
  let stopping = false;
  // A connection lost mid-build is an 'error' event, which unheard would end the process.
  client.on('error', (error) => {
    if (!stopping) logger.warn({ err: error }, 'lost the connection building the trace-id index');
  });
  const done = (async () => {
    try {
      await client.connect();
      await installTraceIndex(client, logger);
    } catch (error) {
      // Not the table's owner, or a build that failed: traces are found by scanning until a start that can build it.
      if (!stopping)
        logger.warn({ err: error }, 'could not build the trace-id index: traces are found by scanning the store');
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return {
    done,
    async stop() {
      stopping = true;
      // Not `done`: a client ended while it connects never settles its connect.
      await client.end().catch(() => undefined);
    },
  };
}
