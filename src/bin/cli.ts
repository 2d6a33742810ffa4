import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import pinoPretty from 'pino-pretty';
import { v5 as uuidV5 } from 'uuid';
import { AuditKeyError } from '../audit/key.ts';
import { ConfigError, type DatabaseUrls, type Env } from '../config/env.ts';
import { resolveDatabases } from '../db/prepare-databases.ts';
import { chooseLogFormat, PRETTY_OPTIONS, type Logger } from '../logger.ts';

/**
 * Logs on stderr, and only warnings unless LOG_LEVEL asks for more: a tool's stdout is for its
 * answer. Pretty lines at a terminal, as the app's (chooseLogFormat); written synchronously
 * either way, so a line is out before the tool exits.
 */
export function cliLogger(env: Env): Logger {
  const format = chooseLogFormat({
    isTTY: process.stderr.isTTY === true,
    nodeEnv: env.nodeEnv,
    logFormat: env.logFormat,
  });
  const stream =
    format === 'pretty'
      ? pinoPretty({ ...PRETTY_OPTIONS, destination: 2, sync: true })
      : pino.destination({ dest: 2, sync: true });
  return pino({ level: process.env.LOG_LEVEL ? env.logLevel : 'warn', base: undefined }, stream);
}

/**
 * Runs `use` on the configured databases, or on the app's embedded server: joined if the app (or
 * anything else) runs it, else started for this run; released after, which stops the server only
 * if no other process uses it.
 */
export async function withDatabases<T>(
  env: Pick<Env, 'databases' | 'embeddedPostgres'>,
  logger: Logger,
  use: (urls: DatabaseUrls) => Promise<T>,
): Promise<T> {
  const { urls, embedded } = await resolveDatabases(env, logger);
  try {
    return await use(urls);
  } finally {
    await embedded?.release();
  }
}

/**
 * For a tool with nothing to finish on Ctrl-C: end through process.exit rather than die of the
 * signal, so an embedded server this run started is still handed on (embedded-postgres.ts) — it
 * runs in its own process group and no longer dies of the terminal's Ctrl-C with us.
 */
export function exitOnInterrupt(): void {
  process.once('SIGINT', () => process.exit(EXIT.interrupted));
  process.once('SIGTERM', () => process.exit(143));
}

/**
 * For a tool with something to finish on Ctrl-C (subscribers to stop, a rebuild to abandon): a
 * signal that aborts on SIGINT or SIGTERM, for its loops to watch; it then ends with
 * EXIT.interrupted.
 */
export function interruptSignal(): AbortSignal {
  const interrupted = new AbortController();
  process.once('SIGINT', () => interrupted.abort());
  process.once('SIGTERM', () => interrupted.abort());
  return interrupted.signal;
}

/** Every tool's exit codes (a tool may add its own outcome's 1, as audit:verify's "altered"). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad arguments: the tool says why (and how to call it) and exits EXIT.usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

// The CLI's admin actions are recorded under an id that stands for the OS account (there is no
// user behind them); fixed, so one operator's actions from any CLI share a stream.
const CLI_OPERATOR_NAMESPACE = '0c8d7a52-1f0e-4b7a-8d59-6a0f2b3c4d5e';

/** Who runs a CLI, as people read it in an audit: `cli:<os user>@<host>`. */
export function cliOperatorLabel(): string {
  return `cli:${os.userInfo().username}@${os.hostname()}`;
}

/** The operator behind a CLI's admin action (a rebuild's requester, a verification's verifier), with a fresh trace. */
export function cliOperator(): {
  readonly adminId: string;
  readonly userId: null;
  readonly label: string;
  readonly traceId: string;
} {
  const label = cliOperatorLabel();
  return { adminId: uuidV5(label, CLI_OPERATOR_NAMESPACE), userId: null, label, traceId: randomUUID() };
}

/** What a tool in src/bin states: how it is called, how it reads its input, and its work. */
export interface CliTool<Input> {
  /** As in `<name> failed: …`. */
  readonly name: string;
  /**
   * Printed after a UsageError's message unless the message already holds it. None: the tool's
   * messages carry the usage where it helps (projections:rebuild's names its projections).
   */
  readonly usage?: string;
  /** Reads the arguments and the environment (.env loaded); throws UsageError for the one, ConfigError for the other. */
  parse(args: readonly string[], environment: NodeJS.ProcessEnv): Input;
  /** The work; resolves to the exit code. */
  run(input: Input): Promise<number>;
}

/**
 * A tool's whole life: .env, its input, its work. Bad arguments exit EXIT.usage with the message
 * and usage on stderr; a bad environment EXIT.failure with `Configuration error: …`; anything
 * thrown by the work EXIT.failure with `<name> failed: …` (runCli).
 */
export async function runCliTool<Input>(tool: CliTool<Input>): Promise<void> {
  await runCli(tool.name, async () => {
    loadDotenv({ quiet: true, path: process.env.ENV_FILE ?? '.env' });
    let input: Input;
    try {
      input = tool.parse(process.argv.slice(2), process.env);
    } catch (error) {
      if (error instanceof UsageError) {
        const usage = tool.usage === undefined || error.message.includes(tool.usage) ? '' : `${tool.usage}\n`;
        process.stderr.write(`${error.message}\n${usage}`);
        return EXIT.usage;
      }
      if (error instanceof ConfigError || error instanceof AuditKeyError) {
        process.stderr.write(`Configuration error: ${error.message}\n`);
        return EXIT.failure;
      }
      throw error;
    }
    return tool.run(input);
  });
}

/** parseArgs's own complaint (an unknown option, a missing value) as a UsageError. */
export function usageErrorFrom(error: unknown): UsageError {
  return new UsageError(error instanceof Error ? error.message : String(error));
}

// Ending by itself lets stdout drain (a pipe is asynchronous on some systems); the unref'd timer
// ends the process only if something forgotten would keep it alive.
const EXIT_GRACE_MS = 2_000;

/** A command-line tool's whole life: its exit code from `main`, a failure said in one line. */
async function runCli(name: string, main: () => Promise<number>): Promise<void> {
  let exitCode: number;
  try {
    exitCode = await main();
  } catch (error) {
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = EXIT.failure;
  }
  process.exitCode = exitCode;
  setTimeout(() => process.exit(exitCode), EXIT_GRACE_MS).unref();
}
