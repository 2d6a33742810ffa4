/** A unit-tier file (no PostgreSQL) runs in a fraction of the time of one that builds systems: each kind is guessed from its own. */
const kindOf = (file: string): string => (file.endsWith('.unit.test.ts') ? 'unit' : 'other');

function median(values: readonly number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Longest first, each to the lightest shard, by the last run's seconds per file. A file never
 * timed weighs the median of its kind's timed files (or of all, when none of its kind is). With
 * no timings at all, files are dealt in path order.
 */
export function assign(
  files: readonly string[],
  shards: number,
  timings: Readonly<Record<string, number>>,
): string[][] {
  const groups = Array.from({ length: shards }, () => ({ load: 0, files: [] as string[] }));
  const timed = files.filter((file) => timings[file] !== undefined);
  if (timed.length === 0) {
    files.forEach((file, index) => groups[index % shards]!.files.push(file));
    return groups.map((group) => group.files);
  }
  const overall = median(timed.map((file) => timings[file]!))!;
  const guesses = new Map<string, number>();
  for (const kind of new Set(files.map(kindOf))) {
    guesses.set(kind, median(timed.filter((file) => kindOf(file) === kind).map((file) => timings[file]!)) ?? overall);
  }
  const weight = (file: string): number => timings[file] ?? guesses.get(kindOf(file))!;
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = groups.reduce((best, group) => (group.load < best.load ? group : best));
    lightest.load += weight(file);
    lightest.files.push(file);
  }
  return groups.map((group) => group.files.sort()).filter((group) => group.length > 0);
}
