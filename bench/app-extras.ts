// Figures of our own app beyond the site suite: a soak of mixed load on the running app, GET with
// the page's projection read on every request, and idle through tsx as `npm start` runs it.
import type { DatabaseUrls } from '../src/config/env.ts';
import { watchedCountOf } from '../test/helpers/http.ts';
import { cpuShare, rssMiB, startApp, type AppProcess } from './app-process.ts';
import { getLoad } from './site/get-load.ts';
import { formatSoak, soak } from './soak.ts';

export interface ExtrasSizes {
  readonly soakSeconds: number;
  readonly loadSeconds: number;
  readonly idleMs: number;
}

const pastStartUp = () => new Promise((resolve) => setTimeout(resolve, 3_000));

/** The soak, on the app the site suite has just loaded, viewing `videoId`. */
export async function soakFigures(
  app: AppProcess,
  videoId: string,
  { soakSeconds }: ExtrasSizes,
  results: Record<string, string>,
): Promise<void> {
  if (soakSeconds > 0)
    results[`soak, ${soakSeconds} s of GET + POST`] = formatSoak(
      await soak(app.url, app.child.pid!, videoId, soakSeconds),
    );
}

export async function otherSettingsFigures(
  urls: DatabaseUrls,
  { loadSeconds, idleMs }: ExtrasSizes,
  results: Record<string, string>,
): Promise<void> {
  const uncached = await startApp(urls, { env: { PAGE_CACHE_MS: '0' } });
  try {
    await pastStartUp();
    const target = {
      name: 'ours, no page cache',
      url: uncached.url,
      messageStoreUrl: urls.messageStoreUrl,
      pid: uncached.child.pid!,
      countOf: watchedCountOf,
    };
    const { requestsPerSecond, p99Ms, cpuMsPerRequest, failed } = await getLoad(target, 10, loadSeconds);
    results['GET /, 10 connections, no page cache'] =
      `${Math.round(requestsPerSecond)} req/s, p99 ${p99Ms} ms, app CPU ${cpuMsPerRequest?.toFixed(2)} ms/request${failed ? `, ${failed} failed` : ''}`;
  } finally {
    await uncached.stop();
  }
  const throughTsx = await startApp(urls, { compiled: false });
  try {
    await pastStartUp();
    results['npm start (tsx) idle: CPU'] =
      `${((await cpuShare(throughTsx.child.pid!, idleMs)) * 100).toFixed(2)} % of one core`;
    results['npm start (tsx) idle: RSS'] = `${Math.round(await rssMiB(throughTsx.child.pid!))} MiB`;
  } finally {
    await throughTsx.stop();
  }
}
