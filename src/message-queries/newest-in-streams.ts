import type pg from 'pg';

/** A message as a timeline lists it: where and what, no data. */
export interface MessageHeading {
  readonly globalPosition: number;
  readonly time: Date;
  readonly type: string;
  readonly streamName: string;
}

/**
 * The newest `limit` messages of some streams together, below `before` if given, newest first:
 * each stream read newest first through Message DB's (stream_name, position) index, so a page
 * costs the same however long the streams. Message DB reads one stream at a time, forwards.
 */
export async function newestInStreams(
  pool: pg.Pool,
  streams: readonly string[],
  before: number | undefined,
  limit: number,
): Promise<MessageHeading[]> {
  const beforeParam = streams.length + 1;
  const limitParam = streams.length + 2;
  const newest = (n: number) =>
    `(SELECT global_position, stream_name, type, time FROM messages
       WHERE stream_name = $${n} AND ($${beforeParam}::bigint IS NULL OR global_position < $${beforeParam})
       ORDER BY position DESC LIMIT $${limitParam})`;
  const result = await pool.query<{ global_position: string; stream_name: string; type: string; time: Date }>(
    `SELECT global_position, stream_name, type, time AT TIME ZONE 'UTC' AS time
       FROM (${streams.map((_, i) => newest(i + 1)).join(' UNION ALL ')}) AS theirs
      ORDER BY global_position DESC LIMIT $${limitParam}`,
    [...streams, before ?? null, limit],
  );
  return result.rows.map((row) => ({
    globalPosition: Number(row.global_position),
    time: row.time,
    type: row.type,
    streamName: row.stream_name,
  }));
}
