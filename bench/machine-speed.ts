// npm run bench:machine — a fixed piece of CPU work (hashing and integer arithmetic, one core), so
// figures from two machines of the "same" kind can be told apart from a change in the code:
// docs/benchmarks.md states it beside each test-suite time.
import { createHash } from 'node:crypto';

const started = performance.now();
let digest = Buffer.alloc(32);
for (let round = 0; round < 2_000_000; round += 1) digest = createHash('sha256').update(digest).digest();
let sum = 0;
for (let step = 0; step < 200_000_000; step += 1) sum = (sum + step * 7) % 1_000_003;
// The results are printed so the work cannot be optimised away.
console.log(
  `machine speed: ${Math.round(performance.now() - started)} ms for the fixed work (${digest.toString('hex').slice(0, 8)}, ${sum})`,
);
