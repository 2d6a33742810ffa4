import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { DatabaseUrls } from '../src/config/env.ts';

/** As the Dockerfile runs the app; BENCH_APP_NODE_OPTIONS measures another setting. */
const PRODUCTION_NODE_OPTIONS = '--max-semi-space-size=1';

export interface AppProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stop(): Promise<void>;
}

/** Compiles the app to dist/ (npm run build), as production runs it. */
export function buildApp(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}

interface StartOptions {
  readonly compiled?: boolean;
  readonly env?: Record<string, string>;
  /** Flags node refuses in NODE_OPTIONS, such as --cpu-prof. */
  readonly nodeArgs?: readonly string[];
}

/** The real entry point on the given databases: compiled (dist/, as production) or through tsx (as npm start). */
export async function startApp(urls: DatabaseUrls, { compiled = true, env: extra = {}, nodeArgs = [] }: StartOptions = {}): Promise<AppProcess> {
  const child = spawn(process.execPath, [...nodeArgs, ...(compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'])], {
    env: { ...process.env, ENV_FILE: '/dev/null', NODE_ENV: 'production', COOKIE_SECRET: 'b'.repeat(48), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', TRUST_PROXY: 'loopback', NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS, ...extra, DATABASE_URL: urls.databaseUrl, MESSAGE_STORE_URL: urls.messageStoreUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /"port":(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the app exited (${code}) before listening`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) the process has used, in ms, from /proc. */
export async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Share of one core the process uses over `ms`. */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = await cpuMsOf(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((await cpuMsOf(pid)) - before) / ms;
}
