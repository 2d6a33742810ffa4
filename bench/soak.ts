import autocannon from 'autocannon';
import { watchForm } from '../test/helpers/browser.ts';
import { rssMiB } from './app-process.ts';
import { anotherVisitor } from './site/visitor.ts';

export interface SoakSample {
  readonly second: number;
  readonly rssMiB: number;
}

/**
 * Mixed load for `seconds`: GETs of the home page and POSTs through a video's viewing form (each
 * as another visitor) at once, with the app's RSS sampled every `everySeconds`, to see whether
 * memory settles or keeps growing.
 */
export async function soak(
  base: string,
  pid: number,
  videoId: string,
  seconds: number,
  everySeconds = 30,
): Promise<{ samples: SoakSample[]; requests: number; errors: number }> {
  const viaProxy = { 'x-forwarded-proto': 'https' };
  const { fields, action, cookie } = await watchForm(base, videoId, viaProxy);
  const samples: SoakSample[] = [{ second: 0, rssMiB: await rssMiB(pid) }];
  const started = Date.now();
  const sampler = setInterval(() => {
    void rssMiB(pid).then((rss) => samples.push({ second: Math.round((Date.now() - started) / 1000), rssMiB: rss }));
  }, everySeconds * 1000);
  try {
    const [reads, writes] = await Promise.all([
      autocannon({ url: `${base}/`, connections: 8, duration: seconds, headers: viaProxy }),
      autocannon({
        url: `${base}${action}`,
        connections: 2,
        duration: seconds,
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
