import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { config as loadDotenv } from 'dotenv';
import { v5 as uuidV5 } from 'uuid';
import { AuditKeyError, formatReport, recordVerification, resolveAuditKeys, verifyAuditChain, type AuditKeys, type AuditReport, type Verifier } from '../audit/index.ts';
import { ConfigError, parseEnv, type DatabaseUrls } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import type { Logger } from '../logger.ts';
import { messageVersions } from '../contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../message-store/index.ts';
import { cliLogger, exitOnInterrupt, runCli, withDatabases } from './cli.ts';

/*
 * npm run audit:verify [-- --json]
 *
 * Recomputes the audit chain from the message store and compares it with the stored links and
 * signed heads (docs/audit.md). Prints the verdict and what it rests on (or the report as JSON)
 * and exits 0 when nothing is wrong, 1 when anything was altered, inserted or deleted, a head
 * is forged or contradicted, the chain's tail is unsigned for longer than the signer ever leaves
 * it (heads deleted), or verification could not run; 2 for bad usage. Heads signed with the
 * development key verify as CONSISTENT, NOT PROVEN, still exit 0: that key is refused in
 * production, and failing here would only break development. Reads in pages, so memory stays
 * flat on any store; shows a progress bar on a terminal. The outcome is then recorded as an
 * AuditChainVerified admin action for the dashboard (after printing it: a store that takes no
 * write costs a warning, not the result). With no database URLs it uses the app's embedded
 * PostgreSQL, as the admin CLI does (joined if the app runs it).
 */

// The same namespace as projections:rebuild, so one operator's CLI actions share a stream.
const CLI_OPERATOR_NAMESPACE = '0c8d7a52-1f0e-4b7a-8d59-6a0f2b3c4d5e';

/** The CLI's verifier: an id standing for the OS account, as the rebuild CLI's (there is no user behind it). */
function cliVerifier(): Verifier {
  const label = `cli:${os.userInfo().username}@${os.hostname()}`;
  return { adminId: uuidV5(label, CLI_OPERATOR_NAMESPACE), userId: null, label, traceId: randomUUID() };
}

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

/** Verifies, prints the outcome, then records it; the exit code is the outcome's, whether or not it was recorded. */
async function run(urls: DatabaseUrls, keys: AuditKeys, json: boolean, logger: Logger): Promise<number> {
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 2 });
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const messageStore = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  const bar = progressBar(!json && process.stderr.isTTY === true);
  try {
    if (!(await db.schema.hasTable('audit_chain_links'))) {
      process.stderr.write('The audit chain\'s tables are missing from the app database: start the app (or npm run migrate) so its audit-chain aggregator can build the chain.\n');
      return 1;
    }
    let report: AuditReport;
    try {
      report = await verifyAuditChain({
        db,
        messageStorePool: pool,
        auditKey: keys.accepted,
        logger,
        onProgress: ({ verifiedUpTo, chainHead }) => bar.update(verifiedUpTo, chainHead),
      });
    } finally {
      bar.stop();
    }
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    try {
      await recordVerification(messageStore, cliVerifier(), report);
    } catch (error) {
      process.stderr.write(`Warning: the result above was not recorded as AuditChainVerified (the dashboard will not show it): ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return report.ok ? 0 : 1;
  } finally {
    await messageStore.close();
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
  return withDatabases(env, logger, (urls) => run(urls, keys, options.json, logger));
}

// Nothing to undo when cut short: it reads, then writes one record.
exitOnInterrupt();
await runCli('audit:verify', main);
