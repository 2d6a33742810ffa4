import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { config as loadDotenv } from 'dotenv';
import { AuditKeyError, formatReport, resolveAuditKeys, verifyAuditChain, type AuditKeys, type AuditReport } from '../audit/index.ts';
import { ConfigError, parseEnv, type DatabaseUrls } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import type { Logger } from '../logger.ts';
import { createMessageStorePool } from '../message-store/index.ts';
import { cliLogger, runCli, withDatabases } from './cli.ts';

/*
 * npm run audit:verify [-- --json]
 *
 * Recomputes the audit chain from the message store and compares it with the stored links and
 * signed heads (docs/audit.md). Prints the verdict and what it rests on (or the report as JSON)
 * and exits 0 when the chain is intact, 1 when anything was altered, inserted or deleted, a
 * head is forged, or verification could not run; 2 for bad usage. Reads in pages, so memory
 * stays flat on any store; shows a progress bar on a terminal. The report is also stored for
 * the admin dashboard. With no database URLs it uses the app's embedded PostgreSQL, as the
 * admin CLI does (joined if the app runs it).
 */

const USAGE = 'usage: npm run audit:verify [-- --json]';

class UsageError extends Error {}

function parseOptions(argv: readonly string[]): { json: boolean } {
  try {
    const parsed = parseArgs({ args: [...argv], options: { json: { type: 'boolean', default: false } }, allowPositionals: false, strict: true });
    return { json: parsed.values.json === true };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A bar on stderr while verifying, only on a terminal: piped output stays clean. */
function progressBar(enabled: boolean) {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'verifying [{bar}] {percentage}% | {value}/{total} global positions | ETA {eta_formatted}', etaBuffer: 50, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(value: number, total: number) {
      if (!started) bar.start(Math.max(total, 1), 0);
      started = true;
      bar.setTotal(Math.max(total, 1));
      bar.update(value);
    },
    stop: () => started && bar.stop(),
  };
}

async function run(urls: DatabaseUrls, keys: AuditKeys, json: boolean, logger: Logger): Promise<AuditReport | undefined> {
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 2 });
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const bar = progressBar(!json && process.stderr.isTTY === true);
  try {
    if (!(await db.schema.hasTable('audit_chain_links'))) {
      process.stderr.write('The audit chain\'s tables are missing from the app database: start the app (or npm run migrate) so its audit-chain aggregator can build the chain.\n');
      return undefined;
    }
    return await verifyAuditChain({
      db,
      messageStorePool: pool,
      auditKey: keys.accepted,
      logger,
      onProgress: ({ verifiedUpTo, chainHead }) => bar.update(verifiedUpTo, chainHead),
    });
  } finally {
    bar.stop();
    await Promise.all([pool.end(), db.destroy()]);
  }
}

async function main(): Promise<number> {
  loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
  let options: { json: boolean };
  let keys: AuditKeys;
  let env;
  try {
    options = parseOptions(process.argv.slice(2));
    keys = resolveAuditKeys(process.env);
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof AuditKeyError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = cliLogger(env);
  if (keys.development) process.stderr.write('Warning: AUDIT_KEY is not set; checking heads with the development key, which proves nothing.\n');
  const report = await withDatabases(env, logger, (urls) => run(urls, keys, options.json, logger));
  if (!report) return 1;
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : 1;
}

await runCli('audit:verify', main);
