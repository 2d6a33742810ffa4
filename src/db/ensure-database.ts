import pg from 'pg';
import type { Logger } from '../logger.ts';

const DUPLICATE_DATABASE = '42P04';
// Two processes creating one database at the same moment can also meet as a unique violation.
const UNIQUE_VIOLATION = '23505';

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

function maintenanceUrl(url: string): string {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return maintenance.toString();
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * What makes a new database a clone of `template`. From PostgreSQL 15 a clone copies the
 * template's files (`FILE_COPY`) instead of writing every page through the WAL (15's default):
 * a third of the server's CPU for a small template, and the test run clones hundreds. Older
 * servers have no STRATEGY option, and copy files anyway.
 */
export function cloneClause(template: string | undefined, serverVersionNum: number | undefined): string {
  if (template === undefined) return '';
  const strategy = serverVersionNum !== undefined && serverVersionNum >= 150000 ? ' STRATEGY FILE_COPY' : '';
  return ` TEMPLATE ${quoteIdentifier(template)}${strategy}`;
}

/**
 * Creates the database named by `url` when it is missing and the role may create it.
 * When the role may not, the connection error that follows names the problem plainly.
 */
export async function ensureDatabase(url: string, logger: Logger, template?: string): Promise<boolean> {
  const name = databaseName(url);
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // only "database does not exist"
  } finally {
    await probe.end().catch(() => undefined);
  }

  const admin = new pg.Client({ connectionString: maintenanceUrl(url) });
  await admin.connect();
  try {
    const version =
      template === undefined
        ? undefined
        : Number(
            (await admin.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version_num'])).rows[0]?.v,
          );
    await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}${cloneClause(template, version)}`);
    logger.info({ database: name }, 'created database');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return false;
    throw error;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: maintenanceUrl(url) });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(databaseName(url))} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
