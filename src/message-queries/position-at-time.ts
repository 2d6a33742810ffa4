import type pg from 'pg';

/**
 * Message DB has no index on `time`, but time grows with global position, so a time can be
 * turned into a position by a binary search over the primary key: about 20 index probes for a
 * million messages, in one statement. Only "about": a message's time is when its transaction
 * began, so one that waited long for its category's lock can sit slightly out of order. The
 * pages filter on the exact time as well; such a message at the very edge of a range can be
 * missed, never shown wrongly.
 *
 * Returns the lowest global position x such that the first message at or after x is at or
 * after `time` (past the last message if none is), or undefined for an empty store.
 */
export async function positionAtTime(pool: pg.Pool, time: Date): Promise<number | undefined> {
  const result = await pool.query<{ lo: string | null }>(
    `WITH RECURSIVE search(lo, hi) AS (
       SELECT min(global_position), max(global_position) + 1 FROM messages
       UNION ALL
       SELECT CASE WHEN probe.ok THEN s.lo ELSE s.mid + 1 END, CASE WHEN probe.ok THEN s.mid ELSE s.hi END
         FROM (SELECT lo, hi, (lo + hi) / 2 AS mid FROM search WHERE lo < hi) s
         CROSS JOIN LATERAL (
           SELECT COALESCE((SELECT m.time >= ($1::timestamptz AT TIME ZONE 'UTC') FROM messages m
                             WHERE m.global_position >= s.mid ORDER BY m.global_position LIMIT 1), true) AS ok
         ) probe
     )
     SELECT lo FROM search WHERE lo >= hi`,
    [time.toISOString()],
  );
  const lo = result.rows[0]?.lo;
  return lo === null || lo === undefined ? undefined : Number(lo);
}
