import type pg from 'pg';

/**
 * The data of each stream's last message of one type, as Message DB's
 * get_last_stream_message(stream, type) reads it (its stream index, newest first), for many
 * streams in one statement; a stream with none is absent from the map. The function re-plans its
 * query at every call: seven calls cost the admin dashboard more than the rows they read.
 *
 * Asked with the type in the read, PostgreSQL read every message of that type in each stream and
 * sorted them (it takes the type for rare, not knowing a position stream holds nothing else): 6.6
 * ms a dashboard on the 100k catalog's store (docs/benchmarks.md). So each stream's last message
 * is read first, one index entry a stream, one branch and parameter a stream; only the streams
 * whose last message is of another type are asked again with the type.
 */
export async function lastDataOfType(
  pool: pg.Pool,
  streams: readonly string[],
  type: string,
): Promise<Map<string, unknown>> {
  if (streams.length === 0) return new Map();
  const branches = streams.map(
    (_, index) =>
      `(SELECT $${index + 1}::text AS stream_name, type, data FROM messages
         WHERE stream_name = $${index + 1} ORDER BY position DESC LIMIT 1)`,
  );
  const last = await pool.query<{ stream_name: string; type: string; data: unknown }>(branches.join(' UNION ALL '), [
    ...streams,
  ]);
  const found = new Map(last.rows.filter((row) => row.type === type).map((row) => [row.stream_name, row.data]));
  const others = last.rows.filter((row) => row.type !== type).map((row) => row.stream_name);
  if (others.length === 0) return found;
  const older = await pool.query<{ stream_name: string; data: unknown }>(
    `SELECT s.stream_name, last.data
       FROM unnest($1::text[]) AS s(stream_name)
       CROSS JOIN LATERAL (
         SELECT data FROM messages WHERE stream_name = s.stream_name AND type = $2 ORDER BY position DESC LIMIT 1
       ) last`,
    [others, type],
  );
  for (const row of older.rows) found.set(row.stream_name, row.data);
  return found;
}
