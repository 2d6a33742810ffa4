import type { DatabaseUrls, Env } from '../config/env.ts';
import type { Logger } from '../logger.ts';
import { createAppDatabase, migrateAppDatabase } from './app-database.ts';
import { useEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.ts';
import { ensureDatabase } from './ensure-database.ts';
import { installMessageDb } from './install-message-db.ts';

export const EMBEDDED_DATABASE_NAMES = { app: 'video_tutorials', messageStore: 'message_store' } as const;

export interface ResolvedDatabases {
  readonly urls: DatabaseUrls;
  /** Set when the embedded server is used: whoever resolved it must release it. */
  readonly embedded: EmbeddedPostgres | undefined;
}

/** The configured URLs, or the embedded PostgreSQL under .data/ (joined, or started) when none are configured. */
export async function resolveDatabases(
  env: Pick<Env, 'databases' | 'embeddedPostgres'>,
  logger: Logger,
): Promise<ResolvedDatabases> {
  if (env.databases) return { urls: env.databases, embedded: undefined };
  const embedded = await useEmbeddedPostgres({ ...env.embeddedPostgres, logger });
  return {
    embedded,
    urls: {
      databaseUrl: embedded.url(EMBEDDED_DATABASE_NAMES.app),
      messageStoreUrl: embedded.url(EMBEDDED_DATABASE_NAMES.messageStore),
    },
  };
}

/** Creates missing databases, installs Message DB when absent and runs the projection migrations. */
export async function prepareDatabases(urls: DatabaseUrls, logger: Logger): Promise<void> {
  await ensureDatabase(urls.messageStoreUrl, logger);
  await ensureDatabase(urls.databaseUrl, logger);
  await installMessageDb(urls.messageStoreUrl, logger);
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 1 });
  try {
    const applied = await migrateAppDatabase(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrated the app database');
  } finally {
    await db.destroy();
  }
}
