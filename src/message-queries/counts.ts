import type pg from 'pg';
import { ALL_CATEGORIES } from '../subscription/subscription.ts';

/** The newest global position now (0 for an empty store). */
export async function storeHead(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ head: string | null }>('SELECT max(global_position) AS head FROM messages');
  return Number(result.rows[0]?.head ?? 0);
}

/** Does any message lie in `category`? One step on Message DB's category index. */
export async function categoryHasMessages(pool: pg.Pool, category: string): Promise<boolean> {
  const known = await pool.query('SELECT 1 FROM messages WHERE category(stream_name) = $1 LIMIT 1', [category]);
  return known.rowCount !== 0;
}

/** How many messages `category` holds (ALL_CATEGORIES: the whole store), which Message DB's functions do not say. */
export async function countMessages(pool: pg.Pool, category: string): Promise<number> {
  const result =
    category === ALL_CATEGORIES
      ? await pool.query<{ count: string }>('SELECT count(*) AS count FROM messages')
      : await pool.query<{ count: string }>('SELECT count(*) AS count FROM messages WHERE category(stream_name) = $1', [
          category,
        ]);
  return Number(result.rows[0]?.count ?? 0);
}
