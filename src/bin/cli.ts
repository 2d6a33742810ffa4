import { pino } from 'pino';
import type { DatabaseUrls, Env } from '../config/env.ts';
import { useEmbeddedPostgres } from '../db/shared-embedded-postgres.ts';
import type { Logger } from '../logger.ts';

/** Logs on stderr, and only warnings unless LOG_LEVEL asks for more: a tool's stdout is for its answer. */
export function cliLogger(env: Env): Logger {
  return pino({ level: process.env.LOG_LEVEL ? env.logLevel : 'warn', base: undefined }, pino.destination({ dest: 2, sync: true }));
}

/**
 * Runs `use` on the configured databases, or on the app's embedded server: joined if the app
 * runs it, else started for this run and stopped after (starting it anew would stop the app's).
 */
export async function withDatabases<T>(env: Env, logger: Logger, use: (urls: DatabaseUrls) => Promise<T>): Promise<T> {
  const databases = env.databases ? { urls: env.databases, release: async () => undefined } : await useEmbeddedPostgres({ ...env.embeddedPostgres, logger });
  try {
    return await use(databases.urls);
  } finally {
    await databases.release();
  }
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
