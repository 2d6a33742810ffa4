import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { UNCONFINED, type Sandbox, type ToolLimits } from './sandbox.ts';

/** Stopped by its signal (the component is stopping): neither success nor the video's fault. */
export class ToolInterruptedError extends Error {
  override name = 'ToolInterruptedError';
}

/**
 * Killed by a signal we did not send: the OOM killer's SIGKILL, an operator's SIGTERM. The
 * machine's trouble, not the input's, so it is not a ToolFailedError: worth another try.
 */
export class ToolKilledError extends Error {
  override name = 'ToolKilledError';
}

/** The tool ran and failed (a non-zero exit, a crash, or killed for taking too long): usually the input's fault. */
export class ToolFailedError extends Error {
  override name = 'ToolFailedError';
  constructor(
    message: string,
    /** The tool's last words on stderr, for a reason a person can read. */
    readonly lastError: string,
  ) {
    super(message);
  }
}

/** Stopped at one of the limits we set on a run: the input asked for too much. Its lastError is in our words, not the tool's. */
export class ToolOverLimitError extends ToolFailedError {
  override name = 'ToolOverLimitError';
}

/** Killed by us for outrunning its time limit, or by the kernel for its CPU time: a ToolFailedError, since the input is what made it slow. */
export class ToolTimedOutError extends ToolOverLimitError {
  override name = 'ToolTimedOutError';
}

/** Stopped by the kernel for writing a file past its size limit: the input converts to too much. */
export class ToolOutputTooLargeError extends ToolOverLimitError {
  override name = 'ToolOutputTooLargeError';
}

/**
 * Refused memory under the allowance the kernel holds it to (prlimit): the input needs more than
 * one run may have. Not the machine's shortage, which waiting would mend: the same file asks
 * for the same again.
 */
export class ToolOutOfMemoryError extends ToolOverLimitError {
  override name = 'ToolOutOfMemoryError';
}

/**
 * The tool ran out of disk, a writable disk, quota or memory (its `code` says which, as an
 * errno would): the machine's trouble, not the input's, and one that may take an operator
 * minutes to mend.
 */
export class ToolOutOfResourcesError extends Error {
  override name = 'ToolOutOfResourcesError';
  constructor(
    message: string,
    readonly code: 'ENOSPC' | 'EROFS' | 'EDQUOT' | 'ENOMEM',
  ) {
    super(message);
  }
}

export interface RunToolOptions {
  /** Aborting kills the tool at once (SIGKILL: its output is thrown away anyway). */
  readonly signal: AbortSignal;
  /** Each stdout line as it comes (ffmpeg's -progress); without it, stdout is collected and returned. */
  readonly onLine?: (line: string) => void;
  readonly timeoutMs?: number;
  /** Where it runs: unconfined unless given (the environment is emptied either way). */
  readonly sandbox?: Sandbox;
  /** CPU, memory and file size limits, applied where the sandbox can. */
  readonly limits?: ToolLimits;
}

/**
 * All a tool gets of the environment: a search path for what it runs, and the C locale, so its
 * errors come in the words matched below. Nothing of ours (database URLs, cookie and audit keys).
 */
export const TOOL_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({ PATH: '/usr/bin:/bin', LC_ALL: 'C' });

// Enough stdout for ffprobe's JSON of any sane file, and of stderr for the last error lines.
const MAX_STDOUT = 1024 * 1024;
const MAX_STDERR = 8 * 1024;
// The signals a program raises on itself when it crashes: ffmpeg failing on this input (a
// malformed file can crash ffprobe 4.1), which a retry would only repeat. Any other signal
// came from outside.
const CRASH_SIGNALS: ReadonlySet<string> = new Set([
  'SIGSEGV',
  'SIGBUS',
  'SIGFPE',
  'SIGILL',
  'SIGABRT',
  'SIGTRAP',
  'SIGSYS',
]);
// The kernel's signals for a run past its CPU time and past its file size limit.
const OVER_CPU = 'SIGXCPU';
const OVER_FILE_SIZE = 'SIGXFSZ';
// The wrappers' exit codes for a tool they could not start (missing, not executable), which a
// direct spawn reports as an 'error'; ffmpeg and ffprobe never exit with them.
const NOT_STARTED_CODES: ReadonlySet<number> = new Set([126, 127]);
// ffmpeg's (and x264's) words for the machine running short, anywhere in what it said last.
const OUT_OF_RESOURCES: ReadonlyArray<readonly [RegExp, ToolOutOfResourcesError['code']]> = [
  [/No space left on device/i, 'ENOSPC'],
  [/Read-only file system/i, 'EROFS'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Cannot allocate memory|Out of memory|malloc of size \d+ failed/i, 'ENOMEM'],
];
// Transcoding runs in the background of a process that may also serve pages: below normal priority.
const BACKGROUND_PRIORITY = 10;

// Tools still running, killed when the process exits on its own (process.exit after a fatal
// error): with or without setpriv, nothing should outlive us that we can end ourselves.
const running = new Set<ChildProcess>();
let killedOnExit = false;

function tracked(child: ChildProcess): void {
  if (!killedOnExit) {
    killedOnExit = true;
    process.on('exit', () => {
      for (const tool of running) tool.kill('SIGKILL');
    });
  }
  running.add(child);
  child.once('close', () => running.delete(child));
}

/** Runs `path args` without a shell, and resolves with its stdout once it exits 0. */
export async function runTool(
  path: string,
  args: readonly string[],
  { signal, onLine, timeoutMs, sandbox = UNCONFINED, limits }: RunToolOptions,
): Promise<string> {
  const {
    argv: [program = path, ...programArgs],
    limited,
  } = await sandbox.command(path, args, limits);
  const wrapped = program !== path;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ToolInterruptedError('stopped before it started'));
    // The wrappers exec the tool in their own place: the pid, exit code and signals are the tool's.
    const child = spawn(program, programArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...TOOL_ENVIRONMENT } });
    tracked(child);
    let stdout = '';
    let stderr = '';
    let ending: 'interrupted' | 'timeout' | undefined;
    const kill = (why: 'interrupted' | 'timeout') => {
      ending ??= why;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill('interrupted');
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => kill('timeout'), timeoutMs);
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, BACKGROUND_PRIORITY);
      } catch {
        // Not allowed here (some containers): it runs at normal priority.
      }
    }

    if (onLine) createInterface({ input: child.stdout }).on('line', onLine);
    else child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(0, MAX_STDOUT)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-MAX_STDERR)));

    let spawnError: Error | undefined;
    child.on('error', (error) => (spawnError = error));
    // 'close' comes after the process has exited and its pipes are drained, so no line is lost.
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      const lastError = stderr.trim().split('\n').at(-1)?.trim() ?? '';
      const starved = code !== 0 ? OUT_OF_RESOURCES.find(([words]) => words.test(stderr)) : undefined;
      if (ending === 'interrupted') reject(new ToolInterruptedError(`${path} was stopped`));
      else if (spawnError) reject(spawnError);
      // A tool that never ran is our installation's fault, not the input's: not a ToolFailedError.
      else if (wrapped && code !== null && NOT_STARTED_CODES.has(code))
        reject(new Error(`${path} could not be started: ${lastError}`));
      else if (ending === 'timeout')
        reject(new ToolTimedOutError(`${path} took longer than ${timeoutMs} ms`, 'it took too long'));
      else if (killedBy === OVER_CPU)
        reject(new ToolTimedOutError(`${path} used up its ${limits?.cpuSeconds} s of CPU time`, 'it took too long'));
      else if (killedBy === OVER_FILE_SIZE)
        reject(
          new ToolOutputTooLargeError(
            `${path} wrote past its ${limits?.fileBytes}-byte file limit`,
            'its output was too large',
          ),
        );
      else if (starved?.[1] === 'ENOMEM' && limited)
        reject(
          new ToolOutOfMemoryError(
            `${path} needed more than its ${limits?.memoryBytes} bytes of memory: ${lastError}`,
            'it needed more memory than one conversion may have',
          ),
        );
      else if (starved)
        reject(new ToolOutOfResourcesError(`${path} ran out of resources (${starved[1]}): ${lastError}`, starved[1]));
      else if (killedBy !== null && !CRASH_SIGNALS.has(killedBy))
        reject(new ToolKilledError(`${path} was killed by ${killedBy}, which we did not send`));
      else if (killedBy !== null)
        reject(
          new ToolFailedError(
            `${path} crashed (${killedBy}): ${lastError}`,
            lastError || `the converter crashed (${killedBy})`,
          ),
        );
      else if (code !== 0) reject(new ToolFailedError(`${path} exited with ${code}: ${lastError}`, lastError));
      else resolve(stdout);
    });
  });
}
