import { execFile } from 'node:child_process';

/**
 * Makes the tools die with this process. A child outlives its parent on every platform: when
 * Node is killed (the OOM killer, a deploy's SIGKILL), a transcode would run on for up to its
 * whole length with nobody to read its output, holding a CPU while the restarted process
 * transcodes the same video again. Linux can send a child a signal when its parent dies
 * (prctl PR_SET_PDEATHSIG), which Node cannot ask for itself; util-linux's `setpriv
 * --pdeathsig KILL` (2.33 and later) asks for it and then runs the tool in its own place, so
 * the tool keeps its pid, exit code and signals. Where setpriv is missing or too old, tools
 * run as before, and a killed Node can leave one running (see contract.md).
 */
export interface ParentTie {
  /** The words to run before a tool's own command line: `setpriv --pdeathsig KILL --`, or none. */
  prefix(): Promise<readonly string[]>;
}

/** setpriv's usual place on Linux; elsewhere there is no such thing. */
export const DEFAULT_SETPRIV_PATH = process.platform === 'linux' ? '/usr/bin/setpriv' : null;

const CHECK_TIMEOUT_MS = 5_000;

/** Tools run untied: for platforms without setpriv. */
export const UNTIED: ParentTie = { prefix: async () => [] };

/**
 * Ties tools to this process through `setpriv`, once it has shown it can: the first prefix()
 * runs setpriv with --pdeathsig (an old one refuses the option, a sandbox may refuse the
 * prctl) and tells `onUnavailable` why not if it cannot, once.
 */
export function tieToParent(setprivPath: string | null, onUnavailable: (why: string) => void): ParentTie {
  if (setprivPath === null) return UNTIED;
  const prefix = ['--pdeathsig', 'KILL', '--'];
  let usable: Promise<readonly string[]> | undefined;
  return {
    prefix() {
      usable ??= new Promise((resolve) => {
        execFile(setprivPath, [...prefix, setprivPath, '--version'], { timeout: CHECK_TIMEOUT_MS }, (error) => {
          if (!error) return resolve([setprivPath, ...prefix]);
          onUnavailable(`${setprivPath} --pdeathsig cannot be used (${error.message.trim()})`);
          resolve([]);
        });
      });
      return usable;
    },
  };
}
