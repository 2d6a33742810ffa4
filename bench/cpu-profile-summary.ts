// Busy time by package in a V8 CPU profile (node --cpu-prof):
//   node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile | folder> [fromUs toUs]
// fromUs/toUs (process.hrtime microseconds) keep only the samples of one stretch, such as a load.
import { formatProfileSummary, readProfile, summariseProfile } from './cpu-profile.ts';

const [target, from, to] = process.argv.slice(2);
if (!target) {
  process.stderr.write('usage: bench/cpu-profile-summary.ts <file.cpuprofile | folder> [fromUs toUs]\n');
  process.exit(2);
}
const { file, profile } = await readProfile(target);
const window = from && to ? { fromUs: Number(from), toUs: Number(to) } : undefined;
console.log(file);
console.log(formatProfileSummary(summariseProfile(profile, window)));
