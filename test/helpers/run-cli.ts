import { spawn } from 'node:child_process';

/** What a command-line script printed, and how it exited. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Settings a test run has that an operator's shell does not; each is kept only when given.
const RUN_SETTINGS = [
  'TEST_DATABASE_URL',
  'LOG_LEVEL',
  'MESSAGE_STORE_CONNECTION_STRING',
  'DATABASE_URL',
  'MESSAGE_STORE_URL',
  'AUDIT_KEY',
];

/** An operator's shell: no .env file and none of the test run's settings; `extra` says which databases (and keys) to use. */
export function operatorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ENV_FILE: '/dev/null', NODE_ENV: 'development', ...extra };
  for (const name of RUN_SETTINGS) if (!(name in extra)) delete env[name];
  return env;
}

/**
 * Runs one of our scripts (`src/bin/admin.ts`, `src/main.ts`, …) through tsx, as `npm run` does,
 * to completion, and collects what it printed. Rejects only when the process cannot start.
 */
export function runCli(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // 'close', not 'exit': a process can exit before its pipes are read to the end.
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
