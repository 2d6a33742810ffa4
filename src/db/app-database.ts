import knex, { type Knex } from 'knex';
import type pg from 'pg';
import { migrationSource } from '../../migrations/index.ts';
import { DEFAULT_POOL_MAX, SESSION_OPTIONS } from '../config/defaults.ts';
import type { Logger } from '../logger.ts';

export type AppDatabase = Knex;

export interface AppDatabaseOptions {
  readonly logger?: Logger;
  readonly poolMax?: number;
  /** Server side: a statement running longer is cancelled. */
  readonly statementTimeoutMs?: number;
  /** Client side: a query with no answer (a vanished server) fails instead of hanging. */
  readonly queryTimeoutMs?: number;
}

export function createAppDatabase(
  url: string,
  { logger, poolMax = DEFAULT_POOL_MAX, statementTimeoutMs = 30_000, queryTimeoutMs = 35_000 }: AppDatabaseOptions = {},
): AppDatabase {
  return knex({
    client: 'pg',
    connection: {
      connectionString: url,
      statement_timeout: statementTimeoutMs,
      query_timeout: queryTimeoutMs,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      options: SESSION_OPTIONS,
    } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: poolMax,
      // Knex drops a connection that errors; say so, or a flapping server goes unnoticed.
      afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
        connection.on('error', (error) => logger?.warn({ err: error }, 'app database connection lost'));
        done(null, connection);
      },
    },
  });
}

export async function migrateAppDatabase(db: AppDatabase): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}
