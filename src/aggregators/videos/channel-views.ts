import type { Knex } from 'knex';

/**
 * Whether a `videos` row's views count toward its creator's channel total (`channel_views`): the
 * channel page says how often their public videos were watched, all together. `row` is the
 * table's alias in the statement.
 */
export const onChannel = (row: string): string =>
  `${row}.owner_id IS NOT NULL AND ${row}.status = 'published' AND ${row}.visibility = 'public'`;

/**
 * Moves the creators' totals (views added, or, negative, taken away, per creator), last in the batch's transaction and in creator id order: both
 * writers of `videos` (the catalog and the views subscribers) lock their video rows first, in
 * video id order, then these rows, so the two never deadlock.
 */
export async function moveChannelViews(trx: Knex.Transaction, moves: ReadonlyMap<string, number>): Promise<void> {
  const moved = [...moves].filter(([, views]) => views !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (moved.length === 0) return;
  await trx.raw(
    `INSERT INTO channel_views AS channel (owner_id, views)
     SELECT * FROM unnest(?::uuid[], ?::bigint[]) ORDER BY 1
     ON CONFLICT (owner_id) DO UPDATE SET views = channel.views + excluded.views`,
    [moved.map(([owner]) => owner), moved.map(([, views]) => views)],
  );
}
