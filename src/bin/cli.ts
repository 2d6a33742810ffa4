import { pino } from 'pino';
import pinoPretty from 'pino-pretty';
import type { DatabaseUrls, Env } from '../config/env.ts';
import { resolveDatabases } from '../db/prepare-databases.ts';
import { chooseLogFormat, PRETTY_OPTIONS, type Logger } from '../logger.ts';

/**
 * Logs on stderr, and only warnings unless LOG_LEVEL asks for more: a tool's stdout is for its
 * answer. Pretty lines at a terminal, as the app's (chooseLogFormat); written synchronously
 * either way, so a line is out before the tool exits.
 */
export function cliLogger(env: Env): Logger {
  const format = chooseLogFormat({ isTTY: process.stderr.isTTY === true, nodeEnv: env.nodeEnv, logFormat: env.logFormat });
  const stream = format === 'pretty' ? pinoPretty({ ...PRETTY_OPTIONS, destination: 2, sync: true }) : pino.destination({ dest: 2, sync: true });
  return pino({ level: process.env.LOG_LEVEL ? env.logLevel : 'warn', base: undefined }, stream);
}

/**
 * Runs `use` on the configured databases, or on the app's embedded server: joined if the app (or
 * anything else) runs it, else started for this run; released after, which stops the server only
 * if no other process uses it.
 */
export async function withDatabases<T>(env: Pick<Env, 'databases' | 'embeddedPostgres'>, logger: Logger, use: (urls: DatabaseUrls) => Promise<T>): Promise<T> {
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
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

// Ending by itself lets stdout drain (a pipe is asynchronous on some systems); the unref'd timer
// ends the process only if something forgotten would keep it alive.
const EXIT_GRACE_MS = 2_000;

/** A command-line tool's whole life: its exit code from `main`, a failure said in one line. */
export async function runCli(name: string, main: () => Promise<number>): Promise<void> {
  let exitCode: number;
  try {
    exitCode = await main();
  } catch (error) {
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    exitCode = 1;
  }
  process.exitCode = exitCode;
  setTimeout(() => process.exit(exitCode), EXIT_GRACE_MS).unref();
}
