import autocannon from 'autocannon';
import { homeForm } from '../test/helpers/browser.ts';
import { rssMiB } from './app-process.ts';

export interface SoakSample {
  readonly second: number;
  readonly rssMiB: number;
}

/**
 * Mixed load for `seconds`: GETs of the home page and POSTs through its form at once, with the
 * app's RSS sampled every `everySeconds`, to see whether memory settles or keeps growing.
 */
export async function soak(base: string, pid: number, seconds: number, everySeconds = 30): Promise<{ samples: SoakSample[]; requests: number; errors: number }> {
  const viaProxy = { 'x-forwarded-proto': 'https' };
  const { fields, action } = await homeForm(base, viaProxy);
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
        method: 'POST',
        connections: 2,
        duration: seconds,
        headers: { ...viaProxy, origin: base, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    ]);
    samples.push({ second: Math.round((Date.now() - started) / 1000), rssMiB: await rssMiB(pid) });
    return { samples, requests: reads.requests.total + writes.requests.total, errors: reads.errors + writes.errors + reads.non2xx + writes.non2xx - writes['3xx'] };
  } finally {
    clearInterval(sampler);
  }
}

export function formatSoak({ samples, requests, errors }: Awaited<ReturnType<typeof soak>>): string {
  return `${requests} requests, ${errors} failed; RSS MiB over time: ${samples.map((s) => `${s.second}s ${Math.round(s.rssMiB)}`).join(', ')}`;
}
