import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseUrls } from '../src/config/env.ts';
import { watchedCountOf } from '../test/helpers/http.ts';
import { startApp } from './app-process.ts';
import { formatProfileSummary, readProfile, summariseProfile, type ProfileSummary } from './cpu-profile.ts';
import { getLoad, type GetLoad } from './site/get-load.ts';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Our compiled app under `node --cpu-prof`, GET / at `connections` for `seconds`; the profile
 * lands in `dir` when the app exits, and only the samples taken during the load are summarised.
 */
export async function profiledGet(
  urls: DatabaseUrls,
  dir: string,
  connections: number,
  seconds: number,
): Promise<{ file: string; load: GetLoad; summary: ProfileSummary; text: string }> {
  const absolute = path.resolve(dir);
  await mkdir(absolute, { recursive: true });
  const app = await startApp(urls, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${absolute}`] });
  let load: GetLoad;
  let window;
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // past start-up work
    const fromUs = nowUs();
    load = await getLoad(
      {
        name: 'ours (profiled)',
        url: app.url,
        messageStoreUrl: urls.messageStoreUrl,
        pid: app.child.pid!,
        countOf: watchedCountOf,
      },
      connections,
      seconds,
    );
    window = { fromUs, toUs: nowUs() };
  } finally {
    await app.stop();
  }
  const { file, profile } = await readProfile(absolute);
  const summary = summariseProfile(profile, window);
  return { file, load, summary, text: formatProfileSummary(summary) };
}
