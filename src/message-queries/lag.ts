import type pg from 'pg';
import type { ConsumerGroup } from '../message-store/index.ts';
import { ALL_CATEGORIES } from '../subscription/subscription.ts';

/** Counting stops here: past it "10,000+" says enough, and the count stays an index range scan of bounded length. */
export const LAG_COUNT_LIMIT = 10_000;

export interface CategoryLag {
  /** Global position of the newest message the subscriber will read (0 for none). */
  readonly head: number;
  /** Messages past its position, up to LAG_COUNT_LIMIT + 1. */
  readonly behind: number;
  /** How long the oldest of them has waited; 0 when there are none. */
  readonly waitingSeconds: number;
}

/**
 * How far a subscriber is behind its category: read from message_store.messages through
 * Message DB's category index (category(stream_name), global_position), so each figure is a
 * short index scan however large the store. A member of a consumer group is measured against
 * its own streams, with the filter Message DB applies when it reads for that member.
 */
export async function categoryLag(
  pool: pg.Pool,
  category: string,
  position: number,
  group: ConsumerGroup,
): Promise<CategoryLag> {
  // Every parameter must appear in the statement: reading all categories, $1 is null and the test always true.
  const inCategory = category === ALL_CATEGORIES ? '$1::text IS NULL' : 'category(stream_name) = $1';
  const inGroup = '($3::bigint = 1 OR MOD(@hash_64(cardinal_id(stream_name)), $3::bigint) = $4::bigint)';
  const result = await pool.query<{ head: string | null; behind: string; waiting_seconds: number | null }>(
    `WITH pending AS (
       SELECT global_position, time FROM messages
        WHERE ${inCategory} AND ${inGroup} AND global_position > $2
        ORDER BY global_position LIMIT $5
     )
     SELECT (SELECT max(global_position) FROM messages WHERE ${inCategory} AND ${inGroup}) AS head,
            (SELECT count(*) FROM pending) AS behind,
            (SELECT extract(epoch FROM (now() AT TIME ZONE 'utc') - min(time))::float8 FROM pending) AS waiting_seconds`,
    [category === ALL_CATEGORIES ? null : category, position, group.size, group.member, LAG_COUNT_LIMIT + 1],
  );
  const row = result.rows[0];
  return {
    head: Number(row?.head ?? 0),
    behind: Number(row?.behind ?? 0),
    waitingSeconds: Math.max(0, row?.waiting_seconds ?? 0),
  };
}
