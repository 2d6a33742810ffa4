import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';

/** Stopped by its signal (the component is stopping): neither success nor the video's fault. */
export class ToolInterruptedError extends Error {
  override name = 'ToolInterruptedError';
}

/** The tool ran and failed (a non-zero exit, or killed for taking too long): usually the input's fault. */
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

export interface RunToolOptions {
  /** Aborting kills the tool at once (SIGKILL: its output is thrown away anyway). */
  readonly signal: AbortSignal;
  /** Each stdout line as it comes (ffmpeg's -progress); without it, stdout is collected and returned. */
  readonly onLine?: (line: string) => void;
  readonly timeoutMs?: number;
}

// Enough stdout for ffprobe's JSON of any sane file, and of stderr for the last error lines.
const MAX_STDOUT = 1024 * 1024;
const MAX_STDERR = 8 * 1024;
// Transcoding runs in the background of a process that may also serve pages: below normal priority.
const BACKGROUND_PRIORITY = 10;

/** Runs `path args` without a shell, and resolves with its stdout once it exits 0. */
export function runTool(path: string, args: readonly string[], { signal, onLine, timeoutMs }: RunToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ToolInterruptedError('stopped before it started'));
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
      if (ending === 'interrupted') reject(new ToolInterruptedError(`${path} was stopped`));
      else if (spawnError) reject(spawnError);
      else if (ending === 'timeout') reject(new ToolFailedError(`${path} took longer than ${timeoutMs} ms`, 'it took too long'));
      else if (code !== 0) reject(new ToolFailedError(`${path} exited with ${code ?? killedBy}: ${lastError}`, lastError));
      else resolve(stdout);
    });
  });
}
