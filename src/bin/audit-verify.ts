import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import {
  formatReport,
  recordVerification,
  resolveAuditKeys,
  verifyAuditChain,
  type AuditKeys,
  type AuditReport,
} from '../audit/index.ts';
import { parseEnv, type DatabaseUrls, type Env } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import type { Logger } from '../logger.ts';
import { messageVersions } from '../contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../message-store/index.ts';
import { cliLogger, cliOperator, EXIT, exitOnInterrupt, runCliTool, usageErrorFrom, withDatabases } from './cli.ts';

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

const USAGE = 'usage: npm run audit:verify [-- --json]';

function parseOptions(argv: readonly string[]): { json: boolean } {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean', default: false } },
      allowPositionals: false,
      strict: true,
    });
    return { json: parsed.values.json === true };
  } catch (error) {
    throw usageErrorFrom(error);
  }
}

/** A bar on stderr while verifying, only on a terminal: piped output stays clean. */
function progressBar(enabled: boolean) {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'verifying [{bar}] {percentage}% | {value}/{total} global positions | ETA {eta_formatted}',
      etaBuffer: 50,
      hideCursor: true,
    },
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
      process.stderr.write(
        "The audit chain's tables are missing from the app database: start the app (or npm run migrate) so its audit-chain aggregator can build the chain.\n",
      );
      return EXIT.failure;
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
      // The verifier is the OS account, as the rebuild CLI's requester (there is no user behind it).
      await recordVerification(messageStore, cliOperator(), report);
    } catch (error) {
      process.stderr.write(
        `Warning: the result above was not recorded as AuditChainVerified (the dashboard will not show it): ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    return report.ok ? EXIT.ok : EXIT.failure;
  } finally {
    await messageStore.close();
    await Promise.all([pool.end(), db.destroy()]);
  }
}

// Nothing to undo when cut short: it reads, then writes one record.
exitOnInterrupt();
await runCliTool({
  name: 'audit:verify',
  usage: USAGE,
  // Arguments, then the audit keys, then the rest of the environment: the first complaint is the one shown.
  parse: (args, environment): { options: { json: boolean }; keys: AuditKeys; env: Env } => {
    const options = parseOptions(args);
    const keys = resolveAuditKeys(environment);
    return { options, keys, env: parseEnv(environment) };
  },
  run({ options, keys, env }) {
    const logger = cliLogger(env);
    if (keys.development)
      process.stderr.write(
        'Warning: AUDIT_KEY is not set; checking heads with the development key, which proves nothing.\n',
      );
    return withDatabases(env, logger, (urls) => run(urls, keys, options.json, logger));
  },
});
