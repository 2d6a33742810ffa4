import autocannon from 'autocannon';
import { watchForm } from '../test/helpers/browser.ts';
import { rssMiB } from './app-process.ts';
import { anotherVisitor } from './site/visitor.ts';

export interface SoakSample {
  readonly second: number;
  readonly rssMiB: number;
}

export interface SoakOptions {
  /** How often RSS is sampled. */
  readonly everySeconds?: number;
  /** Pages read in turn, one a request (default the home page alone). */
  readonly readPaths?: readonly string[];
  /** Reads and posts a second, each (default: as fast as the app answers). */
  readonly readRate?: number;
  readonly writeRate?: number;
}

/**
 * Mixed load for `seconds`: GETs of the home page (or of `readPaths` in turn) and POSTs through a
 * video's viewing form (each as another visitor) at once, with the app's RSS sampled every
 * `everySeconds`, to see whether memory settles or keeps growing.
 */
export async function soak(
  base: string,
  pid: number,
  videoId: string,
  seconds: number,
  { everySeconds = 30, readPaths = ['/'], readRate, writeRate }: SoakOptions = {},
): Promise<{ samples: SoakSample[]; requests: number; errors: number }> {
  const viaProxy = { 'x-forwarded-proto': 'https' };
  const { fields, action, cookie } = await watchForm(base, videoId, viaProxy);
  const samples: SoakSample[] = [{ second: 0, rssMiB: await rssMiB(pid) }];
  const started = Date.now();
  let next = -1;
  const sampler = setInterval(() => {
    void rssMiB(pid).then((rss) => samples.push({ second: Math.round((Date.now() - started) / 1000), rssMiB: rss }));
  }, everySeconds * 1000);
  try {
    const [reads, writes] = await Promise.all([
      autocannon({
        url: `${base}${readPaths[0]!}`,
        connections: 8,
        duration: seconds,
        headers: viaProxy,
        ...(readRate !== undefined && { overallRate: readRate }),
        // Pages in turn, each read as another visitor: searches are limited per address, as for
        // real visitors. The home page alone is read as before, so earlier soaks compare.
        ...(readPaths.length > 1 && {
          requests: [
            {
              setupRequest: (request) => ({
                ...request,
                path: readPaths[(next = (next + 1) % readPaths.length)],
                headers: { ...request.headers, ...anotherVisitor() },
              }),
            },
          ],
        }),
      }),
      autocannon({
        url: `${base}${action}`,
        connections: 2,
        duration: seconds,
        ...(writeRate !== undefined && { overallRate: writeRate }),
        requests: [
          {
            method: 'POST',
            headers: {
              ...viaProxy,
              origin: base,
              'content-type': 'application/x-www-form-urlencoded',
              ...(cookie ? { cookie } : {}),
            },
            body: new URLSearchParams(fields).toString(),
            setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...anotherVisitor() } }),
          },
        ],
      }),
    ]);
    samples.push({ second: Math.round((Date.now() - started) / 1000), rssMiB: await rssMiB(pid) });
    return {
      samples,
      requests: reads.requests.total + writes.requests.total,
      errors: reads.errors + writes.errors + reads.non2xx + writes.non2xx - writes['3xx'],
    };
  } finally {
    clearInterval(sampler);
  }
}

export function formatSoak({ samples, requests, errors }: Awaited<ReturnType<typeof soak>>): string {
  return `${requests} requests, ${errors} failed; RSS MiB over time: ${samples.map((s) => `${s.second}s ${Math.round(s.rssMiB)}`).join(', ')}`;
}
