import type { Knex } from 'knex';

/** Every row of `table` in a stable order, for comparing a projection before and after. */
export async function contentsOf(db: Knex, table: string): Promise<unknown[]> {
  // Ordered by the whole row: a table whose first column repeats still compares in one order.
  const result = await db.raw<{ rows: unknown[] }>('SELECT * FROM ?? AS t ORDER BY t::text', [table]);
  return result.rows;
}

/** Index names and definitions of `table`, less the schema. */
export async function indexesOf(db: Knex, table: string): Promise<string[]> {
  const result = await db.raw<{ rows: Array<{ indexname: string; indexdef: string }> }>(
    'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY indexname',
    [table],
  );
  return result.rows.map((row) => `${row.indexname}: ${row.indexdef}`);
}

export async function positionsOf(db: Knex, subscriberIds: readonly string[]): Promise<Record<string, number>> {
  const rows = await db('subscriber_positions')
    .whereIn('subscriber_id', subscriberIds)
    .select<Array<{ subscriber_id: string; position: string }>>('subscriber_id', 'position');
  return Object.fromEntries(rows.map((row) => [row.subscriber_id, Number(row.position)]));
}
