import knex, { type Knex } from 'knex';
import { migrationSource } from '../../migrations/index.ts';

export type AppDatabase = Knex;

export function createAppDatabase(url: string, poolMax = 10): AppDatabase {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
}

export async function migrateAppDatabase(db: AppDatabase): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
