import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { installWriteAnnouncer } from './install-write-announcer.ts';

const require = createRequire(import.meta.url);
const databaseDir = path.join(path.dirname(require.resolve('@eventide/message-db/package.json')), 'database');

// The package's install.sh runs psql on files (`-f $base/x.sql`, `run_psql_file $base/x.sql`)
// and sources sibling scripts (`source $base/install-y.sh`). Following those lines in order
// gives the package's own install order without copying it here.
// Blanks, not \s: \s spans line breaks, so a ^ at every line of a blank stretch would rescan the rest of it.
const STEP = /(?:-f|run_psql_file)[ \t]+\$base\/(\S+\.sql)|^[ \t]*source[ \t]+\$base\/(\S+\.sh)/gm;

export async function messageDbInstallFiles(script = 'install.sh'): Promise<string[]> {
  const text = await readFile(path.join(databaseDir, script), 'utf8');
  const files: string[] = [];
  for (const match of text.matchAll(STEP)) {
    if (match[1]) files.push(match[1]);
    else if (match[2]) files.push(...(await messageDbInstallFiles(match[2])));
  }
  return files;
}

async function installedMessageDbVersion(client: pg.ClientBase): Promise<string | undefined> {
  const exists = await client.query<{ present: boolean }>(
    `SELECT to_regprocedure('message_store.message_store_version()') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return undefined;
  const result = await client.query<{ version: string }>('SELECT message_store.message_store_version() AS version');
  return result.rows[0]?.version;
}

/** Adds the trigger if missing; a role that may not (not the table's owner) only loses speed, so it is told, not stopped. */
async function addWriteAnnouncer(client: pg.Client, logger: Logger): Promise<void> {
  await client.query('SAVEPOINT announcer');
  try {
    if (await installWriteAnnouncer(client))
      logger.info('installed the trigger that wakes subscribers on writes by other programs');
    await client.query('RELEASE SAVEPOINT announcer');
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT announcer');
    logger.warn(
      { err: error },
      'could not install the write-announcing trigger: writes by other programs are noticed by polling only',
    );
  }
}

// Any constant will do: it only keeps two processes starting together from installing twice.
const INSTALL_LOCK = 7_212_664_019;

/**
 * Installs Message DB into the database at `url` unless message_store_version() already answers.
 * Everything runs in one transaction: a failure leaves no half-installed schema behind.
 */
export async function installMessageDb(url: string, logger: Logger): Promise<{ installed: boolean; version: string }> {
  try {
    return await installOnce(url, logger);
  } catch (error) {
    // The advisory lock covers one database; installs into two databases of one server can
    // still race on the cluster-wide `message_store` role. The loser simply tries again.
    if ((error as { code?: string }).code !== '23505') throw error;
    logger.info('Message DB install met a concurrent install; trying again');
    return installOnce(url, logger);
  }
}

async function installOnce(url: string, logger: Logger): Promise<{ installed: boolean; version: string }> {
  const client = new pg.Client({ connectionString: url, options: '-c client_min_messages=warning' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [INSTALL_LOCK]);
    const existing = await installedMessageDbVersion(client);
    if (existing !== undefined) {
      await addWriteAnnouncer(client, logger);
      await client.query('COMMIT');
      return { installed: false, version: existing };
    }
    const files = await messageDbInstallFiles();
    if (files.length < 20) throw new Error(`Could not read Message DB's install order (found ${files.length} files)`);
    for (const file of files) {
      await client.query(await readFile(path.join(databaseDir, file), 'utf8'));
    }
    const version = await installedMessageDbVersion(client);
    await addWriteAnnouncer(client, logger);
    await client.query('COMMIT');
    logger.info({ files: files.length, version }, 'installed Message DB');
    return { installed: true, version: version ?? '' };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
