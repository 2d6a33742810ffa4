/**
 * Longest first, each to the lightest shard, by the last run's seconds per file (a file never
 * timed counts as the median). With no timings at all, files are dealt in path order.
 */
export function assign(files: readonly string[], shards: number, timings: Readonly<Record<string, number>>): string[][] {
  const groups = Array.from({ length: shards }, () => ({ load: 0, files: [] as string[] }));
  const known = files.map((file) => timings[file]).filter((seconds): seconds is number => seconds !== undefined);
  if (known.length === 0) {
    files.forEach((file, index) => groups[index % shards]!.files.push(file));
    return groups.map((group) => group.files);
  }
  const median = known.sort((a, b) => a - b)[Math.floor(known.length / 2)]!;
  const weight = (file: string): number => timings[file] ?? median;
  for (const file of [...files].sort((a, b) => weight(b) - weight(a))) {
    const lightest = groups.reduce((best, group) => (group.load < best.load ? group : best));
    lightest.load += weight(file);
    lightest.files.push(file);
  }
  return groups.map((group) => group.files.sort()).filter((group) => group.length > 0);
}
