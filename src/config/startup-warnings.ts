import { isIP } from 'node:net';
import type { Env } from './env.ts';

/** Only this machine can reach an app listening here. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * What an operator should hear once at start: settings that parse but cannot work together.
 * Pure, so main.ts only logs what this returns.
 */
export function startupWarnings(env: Pick<Env, 'nodeEnv' | 'trustProxy' | 'host'>): string[] {
  const warnings: string[] = [];
  const trustsNoProxy = env.trustProxy === undefined || env.trustProxy === false || env.trustProxy === 0;
  if (env.nodeEnv === 'production' && trustsNoProxy) {
    warnings.push(
      'NODE_ENV=production but TRUST_PROXY is not set: the app sees plain HTTP, so browsers never get the ' +
        'Secure session cookie and every form will answer 403. Serve the app behind a TLS-terminating proxy ' +
        'and set TRUST_PROXY to it (e.g. TRUST_PROXY=1 for one proxy in front, or its address).',
    );
  }
  if (env.trustProxy === true) {
    warnings.push(
      'TRUST_PROXY=true believes every X-Forwarded-For hop, including the first, which the client writes: ' +
        'anyone can then pose as any address and escape the per-address limits on log-in, registration and viewings (and count as a new viewer at every viewing). ' +
        'Set the number of proxies in front (TRUST_PROXY=1) or their addresses instead.',
    );
  }
  if (typeof env.trustProxy === 'number' && env.trustProxy > 0 && !isLoopback(env.host)) {
    warnings.push(
      `TRUST_PROXY=${env.trustProxy} trusts whoever connects as ${env.trustProxy === 1 ? 'the proxy' : `the nearest of ${env.trustProxy} proxies`}, ` +
        `and the app listens on ${env.host}: a client that reaches the app directly, not through the proxy, is then ` +
        'trusted, and the X-Forwarded-For it writes is believed, so it can pose as any address and escape the per-address limits on log-in, registration and viewings (and count as a new viewer at every viewing). ' +
        'If the proxy runs on this machine, listen on loopback (HOST=127.0.0.1); otherwise trust the proxy by its ' +
        'address or subnet (TRUST_PROXY=10.0.0.5), or make sure only the proxy can reach this port.',
    );
  }
  return warnings;
}
