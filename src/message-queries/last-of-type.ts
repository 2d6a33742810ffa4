import type pg from 'pg';

/** Each stream's newest message of any type, one index entry a stream; or of `$2`, when given. */
const lastOfStreams = (typed: boolean) => `SELECT s.stream_name, last.type, last.data
   FROM unnest($1::text[]) AS s(stream_name)
   CROSS JOIN LATERAL (
     SELECT type, data FROM messages
      WHERE stream_name = s.stream_name ${typed ? 'AND type = $2' : ''}
      ORDER BY position DESC LIMIT 1
   ) last`;

/**
 * The data of each stream's last message of one type, as Message DB's
 * get_last_stream_message(stream, type) reads it (its stream index, newest first), for many
 * streams in one statement, two at most; a stream with none is absent from the map. The function
 * re-plans its query at every call: seven calls cost the admin dashboard more than the rows they
 * read.
 *
 * Asked with the type in the read, PostgreSQL took the type for rare (not knowing a position
 * stream holds nothing else), read every message of that type in each stream and sorted them:
 * 6.6 ms a dashboard on the 100k catalog's store (docs/benchmarks.md). So each stream's newest
 * message is read first, one index entry a stream; only the streams whose newest message is of
 * another type are asked again with the type.
 */
export async function lastDataOfType(
  pool: pg.Pool,
  streams: readonly string[],
  type: string,
): Promise<Map<string, unknown>> {
  if (streams.length === 0) return new Map();
  type Row = { stream_name: string; type: string; data: unknown };
  const newest = (await pool.query<Row>(lastOfStreams(false), [[...new Set(streams)]])).rows;
  const found = new Map(newest.filter((row) => row.type === type).map((row) => [row.stream_name, row.data]));
  const others = newest.filter((row) => row.type !== type).map((row) => row.stream_name);
  if (others.length === 0) return found;
  for (const row of (await pool.query<Row>(lastOfStreams(true), [others, type])).rows)
    found.set(row.stream_name, row.data);
  return found;
}
