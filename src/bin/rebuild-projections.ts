import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { parseEnv, type DatabaseUrls, type Env } from '../config/env.ts';
import { createAppDatabase } from '../db/app-database.ts';
import { prepareDatabases } from '../db/prepare-databases.ts';
import type { Logger } from '../logger.ts';
import { messageVersions } from '../contracts/versions.ts';
import { createMessageStore, createMessageStorePool } from '../message-store/index.ts';
import {
  pickProjections,
  PROJECTION_NAMES,
  RebuildAbortedError,
  rebuildableProjections,
  runRebuild,
  type RebuildableProjection,
  type RebuildReport,
} from '../rebuild/index.ts';
import {
  cliLogger,
  cliOperator,
  EXIT,
  interruptSignal,
  runCliTool,
  UsageError,
  usageErrorFrom,
  withDatabases,
} from './cli.ts';
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

const interrupted = interruptSignal();

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
    parsed = parseArgs({
      args: [...argv],
      options: { 'batch-size': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const [name, ...rest] = parsed.positionals;
  if (name === undefined || rest.length > 0) throw new UsageError(usage(names));
  if (name !== 'all' && !names.includes(name))
    throw new UsageError(`no projection named ${JSON.stringify(name)}\n${usage(names)}`);
  const size = parsed.values['batch-size'];
  const batchSize = size === undefined ? undefined : Number(size);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 10_000))
    throw new UsageError('--batch-size takes a whole number from 1 to 10000');
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
    {
      stream: process.stderr,
      format: `${name.padEnd(16)} [{bar}] {percentage}% | {value}/{total} messages | ETA {eta_formatted} | {phase}`,
      etaBuffer: 50,
      hideCursor: true,
    },
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

async function run(
  request: Request,
  urls: DatabaseUrls,
  logger: Logger,
  viewingCountWindowMs: number,
): Promise<number> {
  await prepareDatabases(urls, logger);
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger, max: 2 });
  const messageStore = createMessageStore({ pool, url: urls.messageStoreUrl, logger, versions: messageVersions });
  const db = createAppDatabase(urls.databaseUrl, { logger, poolMax: 2 });
  // The CLI's rebuilds are recorded as admin actions by the OS account (there is no user behind them).
  const requester = cliOperator();
  let failed = false;
  try {
    const projections: readonly RebuildableProjection[] =
      pickProjections(rebuildableProjections({ viewingCountWindowMs }), request.name) ?? [];
    for (const projection of projections) {
      if (interrupted.aborted) return EXIT.interrupted;
      const display = progressDisplay(projection.name, process.stderr.isTTY === true);
      try {
        const result = await runRebuild({
          db,
          messageStore,
          messageStorePool: pool,
          logger,
          projection,
          requester,
          signal: interrupted,
          onProgress: (report) => display.update(report),
          ...(request.batchSize !== undefined && { batchSize: request.batchSize }),
        });
        display.stop();
        const positions = Object.entries(result.positions)
          .map(([subscriberId, position]) => `${subscriberId} at ${position}`)
          .join(', ');
        const skipped = result.skipped > 0 ? ` (${result.skipped} skipped: their data breaks the contract)` : '';
        process.stdout.write(
          `Rebuilt ${projection.name}: ${counted(result.messages, 'message')}${skipped} in ${(result.ms / 1000).toFixed(1)} s; ${positions}.\n`,
        );
      } catch (error) {
        display.stop();
        if (error instanceof RebuildAbortedError) {
          process.stderr.write(`Interrupted: ${projection.name} was not rebuilt; the live projection is as it was.\n`);
          return EXIT.interrupted;
        }
        process.stderr.write(
          `Could not rebuild ${projection.name}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        failed = true;
      }
    }
    return failed ? EXIT.failure : EXIT.ok;
  } finally {
    await messageStore.close();
    await Promise.all([pool.end(), db.destroy()]);
  }
}

await runCliTool({
  name: 'projections:rebuild',
  // No fixed usage line: the messages carry it, with the projections' names, where it helps.
  parse: (args, environment): { request: Request; env: Env } => ({
    request: parseRequest(args, PROJECTION_NAMES),
    env: parseEnv(environment),
  }),
  run({ request, env }) {
    const logger = cliLogger(env);
    return withDatabases(env, logger, (urls) => run(request, urls, logger, env.viewingCountWindowMs));
  },
});
