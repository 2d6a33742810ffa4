import { performance } from 'node:perf_hooks';
import type { Target } from './target.ts';
import { pageCount } from './visitor.ts';

const SAMPLE_LIMIT_MS = 30_000;

/**
 * One viewing written by `write`, and the time from starting the write until the site's page
 * shows it, reading the page back to back.
 */
export async function pageLag(target: Target, write: () => Promise<void>): Promise<number> {
  const before = await pageCount(target);
  const began = performance.now();
  await write();
  while ((await pageCount(target)) <= before) {
    if (performance.now() - began > SAMPLE_LIMIT_MS)
      throw new Error(`${target.name}'s page did not show a viewing within ${SAMPLE_LIMIT_MS / 1000} s`);
  }
  return performance.now() - began;
}
