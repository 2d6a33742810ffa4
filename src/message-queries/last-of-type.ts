import type pg from 'pg';

/**
 * The data of each stream's last message of one type, as Message DB's
 * get_last_stream_message(stream, type) reads it (its stream index, newest first), for many
 * streams in one statement; a stream with none is absent from the map. The function re-plans its
 * query at every call: seven calls cost the admin dashboard more than the rows they read.
 */
export async function lastDataOfType(
  pool: pg.Pool,
  streams: readonly string[],
  type: string,
): Promise<Map<string, unknown>> {
  if (streams.length === 0) return new Map();
  const result = await pool.query<{ stream_name: string; data: unknown }>(
    `SELECT s.stream_name, last.data
       FROM unnest($1::text[]) AS s(stream_name)
       CROSS JOIN LATERAL (
         SELECT data FROM messages WHERE stream_name = s.stream_name AND type = $2 ORDER BY position DESC LIMIT 1
       ) last`,
    [streams, type],
  );
  return new Map(result.rows.map((row) => [row.stream_name, row.data]));
}
