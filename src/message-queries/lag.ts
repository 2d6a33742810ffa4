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

/** A subscriber whose lag is asked for: what it reads, where it stands, and its consumer group. */
export interface LagQuestion {
  readonly category: string;
  readonly position: number;
  readonly group: ConsumerGroup;
}

/**
 * How far each subscriber is behind its category, in order: read from message_store.messages
 * through Message DB's category index (category(stream_name), global_position), so each figure
 * is a short index scan however large the store. A member of a consumer group is measured against
 * its own streams, with the filter Message DB applies when it reads for that member. One
 * statement for them all: the dashboard asks for every subscriber's (26), and 26 statements cost
 * the app and PostgreSQL far more than the reads they make (docs/benchmarks.md).
 */
export async function categoryLags(pool: pg.Pool, questions: readonly LagQuestion[]): Promise<CategoryLag[]> {
  if (questions.length === 0) return [];
  const inGroup = '(s.size = 1 OR MOD(@hash_64(cardinal_id(stream_name)), s.size) = s.member)';
  // Reading all categories, the category is null: its branch reads along the primary key, the other's along the category index.
  const branches = (columns: string, where: string, order: string, limit: string) =>
    `(SELECT ${columns} FROM messages WHERE s.category IS NOT NULL AND category(stream_name) = s.category AND ${inGroup} ${where} ORDER BY global_position ${order} LIMIT ${limit})
     UNION ALL
     (SELECT ${columns} FROM messages WHERE s.category IS NULL AND ${inGroup} ${where} ORDER BY global_position ${order} LIMIT ${limit})`;
  const result = await pool.query<{ head: string | null; behind: string; waiting_seconds: number | null }>(
    `SELECT newest.head, pending.behind, pending.waiting_seconds
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS s(category, position, size, member, n)
       CROSS JOIN LATERAL (
         SELECT max(global_position) AS head FROM (${branches('global_position', '', 'DESC', '1')}) last
       ) newest
       CROSS JOIN LATERAL (
         SELECT count(*) AS behind, extract(epoch FROM (now() AT TIME ZONE 'utc') - min(time))::float8 AS waiting_seconds
           FROM (${branches('time', 'AND global_position > s.position', '', '$5')}) waiting
       ) pending
      ORDER BY s.n`,
    [
      questions.map(({ category }) => (category === ALL_CATEGORIES ? null : category)),
      questions.map(({ position }) => position),
      questions.map(({ group }) => group.size),
      questions.map(({ group }) => group.member),
      LAG_COUNT_LIMIT + 1,
    ],
  );
  return result.rows.map((row) => ({
    head: Number(row.head ?? 0),
    behind: Number(row.behind),
    waitingSeconds: Math.max(0, row.waiting_seconds ?? 0),
  }));
}
