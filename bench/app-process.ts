import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseUrls } from '../src/config/env.ts';

/** As the Dockerfile runs the app; BENCH_APP_NODE_OPTIONS measures another setting. */
const PRODUCTION_NODE_OPTIONS = '--max-semi-space-size=1';

/** The key the bench's app signs the audit chain's heads with; audit:verify needs the same. */
export const BENCH_AUDIT_KEY = 'c'.repeat(48);

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

/** Polls the app's log for the line that says where it listens. */
async function portFrom(logFile: string, child: ChildProcess): Promise<number> {
  for (;;) {
    const match = /"port":(\d+)/.exec(await readFile(logFile, 'utf8'));
    if (match) return Number(match[1]);
    if (child.exitCode !== null)
      throw new Error(
        `the app exited (${child.exitCode}) before listening:\n${(await readFile(logFile, 'utf8')).slice(-2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The real entry point on the given databases: compiled (dist/, as production) or through tsx
 * (as npm start). Its log goes to a file, as it would in production: read through a pipe, every
 * request's log line cost this process (where autocannon runs) CPU that a target measured
 * beside it did not pay, and made ours look 15-25 % slower than a copy of itself.
 */
export async function startApp(
  urls: DatabaseUrls,
  { compiled = true, env: extra = {}, nodeArgs = [] }: StartOptions = {},
): Promise<AppProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vt-bench-app-'));
  const logFile = path.join(dir, 'app.log');
  const log = await open(logFile, 'w');
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...(compiled ? ['dist/src/main.js'] : ['--import', 'tsx', 'src/main.ts'])],
    {
      env: {
        ...process.env,
        ENV_FILE: '/dev/null',
        NODE_ENV: 'production',
        COOKIE_SECRET: 'b'.repeat(48),
        AUDIT_KEY: BENCH_AUDIT_KEY,
        MAIL_DIR: path.join(os.tmpdir(), 'vt-bench-mail'),
        VIDEO_DIR: path.join(os.tmpdir(), 'vt-bench-videos'),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        TRUST_PROXY: 'loopback',
        NODE_OPTIONS: process.env.BENCH_APP_NODE_OPTIONS ?? PRODUCTION_NODE_OPTIONS,
        ...extra,
        DATABASE_URL: urls.databaseUrl,
        MESSAGE_STORE_URL: urls.messageStoreUrl,
      },
      stdio: ['ignore', log.fd, 'inherit'],
    },
  );
  await log.close(); // the child holds its own descriptor
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    return { child, url: `http://127.0.0.1:${await portFrom(logFile, child)}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) the process has used, in ms, from /proc. */
export async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

export async function rssMiB(pid: number): Promise<number> {
  return statusMiB(pid, 'VmRSS');
}

/** The highest RSS the process has had since it started (the kernel's high-water mark). */
export async function peakRssMiB(pid: number): Promise<number> {
  return statusMiB(pid, 'VmHWM');
}

async function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
}

/** Share of one core the process uses over `ms`. */
export async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = await cpuMsOf(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ((await cpuMsOf(pid)) - before) / ms;
}
