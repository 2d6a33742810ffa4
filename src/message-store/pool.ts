import pg from 'pg';

const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;

// Message DB writes UTC into a zone-less timestamp; keep it as text so rows.ts reads it as UTC
// rather than letting pg guess the process's local zone.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMP_WITHOUT_TIME_ZONE ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Connection settings for Message DB: its functions call each other unqualified, so the search path matters. */
export function messageStoreConnectionConfig(url: string): pg.ClientConfig {
  return { connectionString: url, options: '-c search_path=message_store,public', types };
}

export function createMessageStorePool(url: string, max = 10): pg.Pool {
  return new pg.Pool({ ...messageStoreConnectionConfig(url), max, connectionTimeoutMillis: 10_000 });
}
