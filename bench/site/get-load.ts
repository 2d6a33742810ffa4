import autocannon from 'autocannon';
import { cpuMsOf } from '../app-process.ts';
import type { Target } from './target.ts';
import { VIA_PROXY } from './visitor.ts';

export interface GetLoad {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  /** The app's CPU time per request served, when its process is known. */
  readonly cpuMsPerRequest: number | undefined;
  readonly failed: number;
}

/** GET / with `connections` at once for `seconds` (autocannon), and the app's CPU over the same time. */
export async function getLoad(target: Target, connections: number, seconds: number): Promise<GetLoad> {
  const cpuBefore = target.pid === undefined ? undefined : await cpuMsOf(target.pid);
  const result = await autocannon({ url: `${target.url}/`, connections, duration: seconds, headers: { ...VIA_PROXY } });
  const cpu = target.pid === undefined || cpuBefore === undefined ? undefined : (await cpuMsOf(target.pid)) - cpuBefore;
  const served = result.requests.total;
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    cpuMsPerRequest: cpu === undefined || served === 0 ? undefined : cpu / served,
    failed: result.non2xx + result.errors,
  };
}
