import autocannon from 'autocannon';
import { cpuMsOf } from './app-process.ts';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  /** The app process's CPU time per request served. */
  readonly cpuMsPerRequest: number;
  readonly non2xx: number;
}

/** GETs `url` with `connections` at once for `seconds`, and reads the app's CPU over the same time. */
export async function loadGet(url: string, pid: number, connections: number, seconds: number): Promise<LoadResult> {
  const cpuBefore = await cpuMsOf(pid);
  const result = await autocannon({ url, connections, duration: seconds });
  const cpu = (await cpuMsOf(pid)) - cpuBefore;
  const served = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    cpuMsPerRequest: served > 0 ? cpu / served : NaN,
    non2xx: result.non2xx,
  };
}

export function formatLoad({ requestsPerSecond, p99Ms, cpuMsPerRequest, non2xx }: LoadResult): string {
  return `${Math.round(requestsPerSecond)} req/s, p99 ${p99Ms} ms, app CPU ${cpuMsPerRequest.toFixed(2)} ms/request${non2xx ? `, ${non2xx} non-2xx` : ''}`;
}
