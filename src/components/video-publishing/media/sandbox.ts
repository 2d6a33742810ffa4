import { execFile } from 'node:child_process';

/**
 * How ffmpeg and ffprobe are launched on an untrusted upload. A decoder bug turned against us
 * should find as little as possible: the tools get no environment of ours (run-tool.ts), and
 * where the machine allows, util-linux wraps them in three layers, each of which execs the
 * next, so the tool keeps the pid, exit code and signals the caller sees:
 *
 * 1. `setpriv --pdeathsig KILL`: the kernel kills the tool when this process dies, even by
 *    SIGKILL (a child otherwise outlives its parent, holding a CPU for up to a whole transcode
 *    while the restarted process does the same video again). 2.33 or later.
 * 2. `prlimit`: CPU seconds (all threads together; SIGXCPU, then SIGKILL a few seconds on),
 *    writable memory (RLIMIT_DATA: what malloc can have, unlike the address space, which
 *    threads reserve by the gigabyte), and the largest file it may write (SIGXFSZ).
 * 3. `unshare --net`: a network namespace of its own with only a down loopback, so no URL in a
 *    file can reach anything. Needs root or user namespaces; `--map-root-user` is tried second.
 *
 * Each layer is tried once, at the first launch, by wrapping the wrapper's own `--version`; one
 * that cannot be used is left out, and `onUnavailable` says so once. Off Linux none of them
 * exists: the tools then run with their environment emptied and ffmpeg's own limits only.
 */
export interface Sandbox {
  /** The command line that runs `tool args` under `limits` (none: no prlimit layer). */
  command(tool: string, args: readonly string[], limits?: ToolLimits): Promise<SandboxedCommand>;
}

export interface SandboxedCommand {
  /** Program first. */
  readonly argv: readonly string[];
  /**
   * Whether the kernel holds the run to `limits`. Memory that will not come is then the tool
   * reaching its allowance (the machine short of memory shows as the OOM killer's SIGKILL instead).
   */
  readonly limited: boolean;
}

/** What the kernel lets one run of a tool use. */
export interface ToolLimits {
  /** CPU time of all its threads together, in seconds. */
  readonly cpuSeconds: number;
  /** Writable memory it may allocate (RLIMIT_DATA). */
  readonly memoryBytes: number;
  /** The largest file it may write. */
  readonly fileBytes: number;
}

export interface SandboxTools {
  readonly setpriv: string | null;
  readonly prlimit: string | null;
  readonly unshare: string | null;
}

/** util-linux's usual places on Linux; elsewhere there are none. */
export const DEFAULT_SANDBOX_TOOLS: SandboxTools =
  process.platform === 'linux'
    ? { setpriv: '/usr/bin/setpriv', prlimit: '/usr/bin/prlimit', unshare: '/usr/bin/unshare' }
    : { setpriv: null, prlimit: null, unshare: null };

/** No layers: for tests of other things, and platforms without util-linux. */
export const UNCONFINED: Sandbox = { command: async (tool, args) => ({ argv: [tool, ...args], limited: false }) };

const CHECK_TIMEOUT_MS = 5_000;
// After the soft CPU limit's SIGXCPU, the kernel sends SIGKILL at the hard one.
const CPU_GRACE_SECONDS = 5;

const works = (program: string, args: readonly string[]): Promise<string | undefined> =>
  new Promise((resolve) => {
    execFile(program, args, { timeout: CHECK_TIMEOUT_MS }, (error) =>
      resolve(error ? error.message.trim() : undefined),
    );
  });

/** The first of `candidates` (option lists for `path`) that runs `path --version` under itself, or undefined with why not. */
async function firstWorking(
  path: string,
  candidates: ReadonlyArray<readonly string[]>,
): Promise<{ options?: readonly string[]; why: string }> {
  let why = '';
  for (const options of candidates) {
    const problem = await works(path, [...options, '--', path, '--version']);
    if (problem === undefined) return { options, why: '' };
    why = problem;
  }
  return { why };
}

export function createSandbox(tools: SandboxTools, onUnavailable: (layer: string, why: string) => void): Sandbox {
  type Layer = (limits: ToolLimits | undefined) => readonly string[];
  let layers: Promise<readonly Layer[]> | undefined;
  let limiting = false;

  async function findLayers(): Promise<readonly Layer[]> {
    const found: Layer[] = [];
    if (tools.setpriv !== null) {
      const { options, why } = await firstWorking(tools.setpriv, [['--pdeathsig', 'KILL']]);
      if (options) found.push(() => [tools.setpriv!, ...options, '--']);
      else onUnavailable('setpriv --pdeathsig (ffmpeg dies with this process)', why);
    }
    if (tools.prlimit !== null) {
      const { options, why } = await firstWorking(tools.prlimit, [
        ['--cpu=60:65', '--data=1073741824', '--fsize=1048576'],
      ]);
      if (options) {
        limiting = true;
        found.push((limits) => (limits ? [tools.prlimit!, ...prlimitOptions(limits), '--'] : []));
      } else onUnavailable('prlimit (CPU, memory and file size limits)', why);
    }
    if (tools.unshare !== null) {
      const { options, why } = await firstWorking(tools.unshare, [['--net'], ['--map-root-user', '--net']]);
      if (options) found.push(() => [tools.unshare!, ...options, '--']);
      else onUnavailable('unshare --net (no network)', why);
    }
    return found;
  }

  return {
    async command(tool, args, limits) {
      layers ??= findLayers();
      const argv = [...(await layers).flatMap((layer) => layer(limits)), tool, ...args];
      return { argv, limited: limiting && limits !== undefined };
    },
  };
}

function prlimitOptions({ cpuSeconds, memoryBytes, fileBytes }: ToolLimits): string[] {
  const cpu = Math.max(1, Math.ceil(cpuSeconds));
  return [
    `--cpu=${cpu}:${cpu + CPU_GRACE_SECONDS}`,
    `--data=${Math.ceil(memoryBytes)}`,
    `--fsize=${Math.ceil(fileBytes)}`,
  ];
}
