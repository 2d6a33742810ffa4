import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { runCli, type CliResult } from './run-cli.ts';

const DATABASE_VARIABLES = [
  'DATABASE_URL',
  'MESSAGE_STORE_URL',
  'MESSAGE_STORE_CONNECTION_STRING',
  'TEST_DATABASE_URL',
];

/** The environment a newcomer has: none of our variables, and no .env file read. */
export function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Demo seeding is off: it is tested on its own (test/demo), and would only slow these down.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ENV_FILE: '/dev/null',
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    SEED_DEMO: 'false',
    ...extra,
  };
  for (const name of DATABASE_VARIABLES) if (!(name in extra)) delete env[name];
  return env;
}

export interface StartMainOptions {
  /** A process group of its own, as a shell gives a foreground job, so interrupt() can signal the group. */
  readonly detached?: boolean;
  /** Arguments after src/main.ts, such as `--web` or `--worker --only home-page`. */
  readonly args?: readonly string[];
  /** 'pipe' (the default) for collectOutput; 'inherit' lets the child's stderr through to the test run's. */
  readonly stderr?: 'pipe' | 'inherit';
}

/** Starts the real entry point (src/main.ts) as `npm start` does; its stdout is piped, for waitForLog. */
export function startMain(
  env: NodeJS.ProcessEnv,
  { detached = false, args = [], stderr = 'pipe' }: StartMainOptions = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env,
    detached,
    stdio: ['ignore', 'pipe', stderr],
  });
}

/** Starts `npm run dev` as package.json says (`tsx watch`), in a process group of its own. */
export function startDev(env: NodeJS.ProcessEnv): ChildProcess {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  return spawn(process.execPath, [tsxCli, 'watch', '--clear-screen=false', 'src/main.ts'], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group (the child must be `detached`). */
export function interrupt(child: ChildProcess): void {
  process.kill(-child.pid!, 'SIGINT');
}

/** Everything the child prints (stdout and stderr, interleaved as it came), and from a given point on. */
export function collectOutput(child: ChildProcess): { all(): string; mark(): void; sinceMark(): string } {
  let text = '';
  let marked = 0;
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { all: () => text, mark: () => void (marked = text.length), sinceMark: () => text.slice(marked) };
}

/** Lines of output that are not quiet info: warnings and errors (pino level 40 and up), stack frames, or anything not a log line (a library printing to the console). */
export function noisyLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        const entry = JSON.parse(line) as { level?: unknown; err?: unknown };
        return typeof entry.level !== 'number' || entry.level >= 40 || entry.err !== undefined;
      } catch {
        return true;
      }
    });
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
export async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** Resolves with the first JSON log line whose msg is `msg`, or rejects if the process exits first. */
export function waitForLog(child: ChildProcess, msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === msg) {
          clearTimeout(timer);
          resolve(entry);
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before logging "${msg}"`));
    });
  });
}

/** Runs the entry point (or another script, such as src/bin/migrate.ts) to completion and collects what it printed. */
export function runMainToExit(env: NodeJS.ProcessEnv, script = 'src/main.ts'): Promise<CliResult> {
  return runCli(script, [], env);
}
