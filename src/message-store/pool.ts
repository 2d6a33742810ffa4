import pg from 'pg';
import { DEFAULT_POOL_MAX, SESSION_OPTIONS } from '../config/defaults.ts';
import type { Logger } from '../logger.ts';

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;

// Message DB writes UTC into a zone-less timestamp; keep it as text so rows.ts reads it as UTC
// rather than letting pg guess the process's local zone.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * Set on the app's own connections: they wake subscribers themselves, outside their
 * transaction, so the database trigger that announces other programs' writes skips them.
 */
export const ANNOUNCES_WRITES_SETTING = 'video_tutorials.announces_writes';

/** The role Message DB's install creates: INSERT and SELECT on messages, no UPDATE or DELETE. */
export const MESSAGE_STORE_ROLE = 'message_store';

export interface ConnectionLimits {
  /** Server side: a statement running longer is cancelled. */
  readonly statementTimeoutMs: number;
  /** Client side: a query with no answer (a vanished server) fails instead of hanging. */
  readonly queryTimeoutMs: number;
}

const DEFAULT_LIMITS: ConnectionLimits = { statementTimeoutMs: 30_000, queryTimeoutMs: 35_000 };

/**
 * Connection settings for Message DB. Its functions call each other unqualified, so the search
 * path matters; and the session acts as the `message_store` role, so the append-only grants
 * apply to this app too, whatever role it logs in as (it must be a member of that role).
 */
export function messageStoreConnectionConfig(url: string, limits: ConnectionLimits = DEFAULT_LIMITS): pg.ClientConfig {
  return {
    connectionString: url,
    // The app wakes subscribers itself (write-signals.ts), so the database trigger need not.
    options: `${SESSION_OPTIONS} -c search_path=message_store,public -c role=${MESSAGE_STORE_ROLE} -c ${ANNOUNCES_WRITES_SETTING}=on`,
    types,
    statement_timeout: limits.statementTimeoutMs,
    query_timeout: limits.queryTimeoutMs,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
  };
}

export interface MessageStorePoolOptions {
  readonly logger: Logger;
  readonly max?: number;
  readonly limits?: ConnectionLimits;
}

export function createMessageStorePool(
  url: string,
  { logger, max = DEFAULT_POOL_MAX, limits }: MessageStorePoolOptions,
): pg.Pool {
  const pool = new pg.Pool({ ...messageStoreConnectionConfig(url, limits), max });
  // An idle client that errors (the server restarts, say) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'message store connection lost'));
  return pool;
}
