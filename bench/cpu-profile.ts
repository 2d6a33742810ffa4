import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** The parts of V8's .cpuprofile (what `node --cpu-prof` writes) that the summary reads. */
interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds on the machine's monotonic clock, the one process.hrtime reads. */
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Only samples in this stretch count (µs, process.hrtime's clock): the load, not start-up. */
export interface ProfileWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export interface Share {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  /** Node, GC, V8, npm packages, ours. */
  readonly byGroup: readonly Share[];
  readonly byPackage: readonly Share[];
  readonly topFunctions: readonly Share[];
}

const NODE_MODULES = '/node_modules/';
const NODE_INTERNALS = 'node internals';
const GC = 'garbage collection';
const OUTSIDE_JS = 'V8 and native, outside JavaScript';
const OURS = 'our code';

/** node:_http_server → http, node:internal/streams/writable → streams: which part of node. */
function nodeModuleOf(url: string): string {
  const [first = ''] = url
    .slice('node:'.length)
    .replace(/^internal\//, '')
    .split('/');
  const name = first.replace(/^_/, '').split('_')[0]!;
  return name === 'streams' ? 'stream' : name;
}

/** The coarse split printed first: node, GC, V8, npm packages, ours. */
function groupOf(name: string): string {
  if (name.startsWith(NODE_INTERNALS)) return NODE_INTERNALS;
  return [GC, OUTSIDE_JS, OURS].includes(name) ? name : 'npm packages';
}

/**
 * Where a frame's self time belongs: an npm package, node's own JavaScript, garbage collection,
 * V8 outside any script, or our code (any other file: the profiled process is our app).
 */
function packageOf(frame: CallFrame): string | undefined {
  if (frame.functionName === '(garbage collector)') return GC;
  if (frame.functionName === '(program)' || frame.functionName === '(root)') return OUTSIDE_JS;
  if (frame.url === '') return undefined;
  if (frame.url.startsWith('node:')) return `${NODE_INTERNALS} (${nodeModuleOf(frame.url)})`;
  const at = frame.url.lastIndexOf(NODE_MODULES);
  if (at >= 0) {
    const [scope = '', name = ''] = frame.url.slice(at + NODE_MODULES.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  return OURS;
}

export function summariseProfile(profile: CpuProfile, window?: ProfileWindow): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // A builtin or binding (no script: JSON.stringify, writev) is charged to the script that called it.
  const owner = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const found = packageOf(byId.get(at)!.callFrame);
      if (found) return found;
    }
    return OUTSIDE_JS;
  };
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let time = profile.startTime;
  for (const [index, id] of profile.samples.entries()) {
    time += profile.timeDeltas[index] ?? 0;
    if (window && (time < window.fromUs || time > window.toUs)) continue;
    // A sample stands for the time until the next one.
    const us = profile.timeDeltas[index + 1] ?? 0;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const name = owner(id);
    packages.set(name, (packages.get(name) ?? 0) + us);
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : name;
    const label = `${frame.functionName || '(anonymous)'} (${where})`;
    functions.set(label, (functions.get(label) ?? 0) + us);
  }
  const shares = (totals: Map<string, number>): Share[] =>
    [...totals]
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }))
      .sort((a, b) => b.ms - a.ms);
  const groups = new Map<string, number>();
  for (const [name, us] of packages) groups.set(groupOf(name), (groups.get(groupOf(name)) ?? 0) + us);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byGroup: shares(groups),
    byPackage: shares(packages),
    topFunctions: shares(functions).slice(0, 10),
  };
}

export function formatProfileSummary({ busyMs, idleMs, byGroup, byPackage, topFunctions }: ProfileSummary): string {
  const percent = ({ share }: Share) => `${(share * 100).toFixed(1).padStart(5)} %`;
  return [
    `busy ${Math.round(busyMs)} ms, idle ${Math.round(idleMs)} ms`,
    `busy time: ${byGroup.map((entry) => `${entry.name} ${(entry.share * 100).toFixed(1)} %`).join(', ')}`,
    'by package (node by module):',
    ...byPackage.filter(({ share }) => share >= 0.005).map((entry) => `  ${percent(entry)}  ${entry.name}`),
    'busiest functions (self time):',
    ...topFunctions.map((entry) => `  ${percent(entry)}  ${entry.name}`),
  ].join('\n');
}

/** A .cpuprofile file, or the newest one in a folder. */
export async function readProfile(fileOrDir: string): Promise<{ file: string; profile: CpuProfile }> {
  let file = fileOrDir;
  if ((await stat(fileOrDir)).isDirectory()) {
    const names = (await readdir(fileOrDir)).filter((name) => name.endsWith('.cpuprofile'));
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtime: (await stat(path.join(fileOrDir, name))).mtimeMs })),
    );
    const newest = dated.sort((a, b) => b.mtime - a.mtime)[0];
    if (!newest) throw new Error(`no .cpuprofile in ${fileOrDir}`);
    file = path.join(fileOrDir, newest.name);
  }
  return { file, profile: JSON.parse(await readFile(file, 'utf8')) as CpuProfile };
}
