import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const DATABASE_VARIABLES = ['DATABASE_URL', 'MESSAGE_STORE_URL', 'MESSAGE_STORE_CONNECTION_STRING', 'TEST_DATABASE_URL'];

/** The environment a newcomer has: none of our variables, and no .env file read. */
export function bareEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // Demo seeding is off: it is tested on its own (test/demo), and would only slow these down.
  const env: NodeJS.ProcessEnv = { ...process.env, ENV_FILE: '/dev/null', NODE_ENV: 'development', LOG_LEVEL: 'info', SEED_DEMO: 'false', ...extra };
  for (const name of DATABASE_VARIABLES) if (!(name in extra)) delete env[name];
  return env;
}

/** Starts the real entry point (src/main.ts) as `npm start` does. */
export function startMain(env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Runs the entry point to completion and collects what it printed. */
export function runMainToExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = startMain(env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
