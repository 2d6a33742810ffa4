import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { config as loadDotenv } from 'dotenv';
import { v5 as uuidV5 } from 'uuid';
import { ConfigError, parseEnv, type DatabaseUrls } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import type { Logger } from '../logger.ts';
import { messageVersions } from '../contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../message-store/index.ts';
import { pickProjections, PROJECTION_NAMES, RebuildAbortedError, rebuildableProjections, runRebuild, type RebuildableProjection, type RebuildReport, type Requester } from '../rebuild/index.ts';
import { cliLogger, runCli, withDatabases } from './cli.ts';
import { counted, plural } from '../plural.ts';

/*
 * npm run projections:rebuild -- <name|all> [--batch-size <n>]
 *
 * Rebuilds a projection (or every one) from the message store into shadow tables and swaps
 * them in in one transaction, so a running app keeps serving the old projection meanwhile and
 * its subscribers go on from where the rebuild got to (docs in src/rebuild/rebuild.ts). A bar
 * with an ETA on a terminal, a line per phase otherwise; the result on stdout. Exit 0 when all
 * were rebuilt, 1 when one failed or another rebuild of it was running, 2 for bad usage, 130
 * when interrupted (the live projection is then left as it was). With no database URLs it
 * uses the app's embedded PostgreSQL, as the admin CLI does (joined if the app runs it).
 */

const INTERRUPTED = 130;
// The CLI's rebuilds are recorded as admin actions under an id that stands for the OS account
// (there is no user behind them); fixed, so one operator's rebuilds share a stream.
const CLI_OPERATOR_NAMESPACE = '0c8d7a52-1f0e-4b7a-8d59-6a0f2b3c4d5e';

const interrupted = new AbortController();
process.once('SIGINT', () => interrupted.abort());
process.once('SIGTERM', () => interrupted.abort());

class UsageError extends Error {}

interface Request {
  readonly name: string;
  readonly batchSize: number | undefined;
}

function usage(names: readonly string[]): string {
  return `usage: npm run projections:rebuild -- <${[...names, 'all'].join('|')}> [--batch-size <n>]`;
}

function parseRequest(argv: readonly string[], names: readonly string[]): Request {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { 'batch-size': { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [name, ...rest] = parsed.positionals;
  if (name === undefined || rest.length > 0) throw new UsageError(usage(names));
  if (name !== 'all' && !names.includes(name)) throw new UsageError(`no projection named ${JSON.stringify(name)}\n${usage(names)}`);
  const size = parsed.values['batch-size'];
  const batchSize = size === undefined ? undefined : Number(size);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000)) throw new UsageError('--batch-size takes a whole number from 1 to 10000');
  return { name, batchSize };
}

/** A bar with an ETA on a terminal; on anything else, a line when the phase changes. */
function progressDisplay(name: string, terminal: boolean) {
  if (!terminal) {
    let phase = '';
    return {
      update(report: RebuildReport) {
        if (report.phase === phase) return;
        phase = report.phase;
        process.stderr.write(`${name}: ${phase} (${report.done}/${report.total} ${plural(report.total, 'message')})\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${name.padEnd(16)} [{bar}] {percentage}% | {value}/{total} messages | ETA {eta_formatted} | {phase}`, etaBuffer: 50, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(report: RebuildReport) {
      if (!started) bar.start(Math.max(report.total, 1), 0, { phase: report.phase });
      started = true;
      bar.setTotal(Math.max(report.total, 1));
      bar.update(report.done, { phase: report.phase });
    },
    stop: () => started && bar.stop(),
  };
}

function cliRequester(): Requester {
  const label = `cli:${os.userInfo().username}@${os.hostname()}`;
  return { adminId: uuidV5(label, CLI_OPERATOR_NAMESPACE), userId: null, label, traceId: randomUUID() };
}

async function run(request: Request, urls: DatabaseUrls, logger: Logger, viewingCountWindowMs: number): Promise<number> {
  await prepareDatabases(urls, logger);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const messageStore = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 2 });
  const requester = cliRequester();
  let failed = false;
  try {
    const projections: readonly RebuildableProjection[] = pickProjections(rebuildableProjections({ viewingCountWindowMs }), request.name) ?? [];
    for (const projection of projections) {
      if (interrupted.signal.aborted) return INTERRUPTED;
      const display = progressDisplay(projection.name, process.stderr.isTTY === true);
      try {
        const result = await runRebuild({
          db,
          messageStore,
          messageStorePool: pool,
          logger,
          projection,
          requester,
          signal: interrupted.signal,
          onProgress: (report) => display.update(report),
          ...(request.batchSize !== undefined && { batchSize: request.batchSize }),
        });
        display.stop();
        const positions = Object.entries(result.positions).map(([subscriberId, position]) => `${subscriberId} at ${position}`).join(', ');
        const skipped = result.skipped > 0 ? ` (${result.skipped} skipped: their data breaks the contract)` : '';
        process.stdout.write(`Rebuilt ${projection.name}: ${counted(result.messages, 'message')}${skipped} in ${(result.ms / 1000).toFixed(1)} s; ${positions}.\n`);
      } catch (error) {
        display.stop();
        if (error instanceof RebuildAbortedError) {
          process.stderr.write(`Interrupted: ${projection.name} was not rebuilt; the live projection is as it was.\n`);
          return INTERRUPTED;
        }
        process.stderr.write(`Could not rebuild ${projection.name}: ${error instanceof Error ? error.message : String(error)}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  } finally {
    await messageStore.close();
    await Promise.all([pool.end(), db.destroy()]);
  }
}

async function main(): Promise<number> {
  loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
  const names: readonly string[] = PROJECTION_NAMES;
  let request: Request;
  let env;
  try {
    request = parseRequest(process.argv.slice(2), names);
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = cliLogger(env);
  return withDatabases(env, logger, (urls) => run(request, urls, logger, env.viewingCountWindowMs));
}

await runCli('projections:rebuild', main);
