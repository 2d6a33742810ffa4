import type pg from 'pg';
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
 * Adds a hash index on each message's trace id, which Message DB does not have, so a trace,
 * the message browser's trace filter and a message's "rest of its trace" are found by the
 * index rather than by scanning. Hash, not B-tree: only equality is asked, and its entries
 * hold a 4-byte hash instead of the 36-character id.
 *
 * Built CONCURRENTLY, outside any transaction, so writers are never held up, even on a big
 * store being upgraded. A process that finds another one building goes on without waiting:
 * until the index is valid, those pages scan, slower but right. A build that died half way
 * leaves an invalid index behind, which the next start drops and builds again.
 *
 * The session must not be in a transaction. Returns whether this call built the index.
 */
export async function installTraceIndex(client: pg.ClientBase, logger: Logger): Promise<boolean> {
  if ((await indexState(client)) === 'valid') return false;
  const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [BUILD_LOCK]);
  if (!locked.rows[0]?.locked) {
    logger.info('another process is building the trace-id index; starting without waiting for it');
    return false;
  }
  try {
    // Looked at again under the lock: the other process may have finished in between.
    const state = await indexState(client);
    if (state === 'valid') return false;
    if (state === 'invalid') await client.query(`DROP INDEX CONCURRENTLY message_store.${TRACE_INDEX}`);
    const started = Date.now();
    logger.info('building the trace-id index on the message store (once; writers are not held up)');
    await client.query(
      `CREATE INDEX CONCURRENTLY ${TRACE_INDEX} ON message_store.messages USING hash (${TRACE_ID_EXPRESSION})`,
    );
    logger.info({ ms: Date.now() - started }, 'built the trace-id index');
    return true;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [BUILD_LOCK]);
  }
}
