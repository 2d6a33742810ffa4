import type { Env } from './env.ts';

/**
 * What an operator should hear once at start: settings that parse but cannot work together.
 * Pure, so main.ts only logs what this returns.
 */
export function startupWarnings(env: Pick<Env, 'nodeEnv' | 'trustProxy'>): string[] {
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
        'anyone can then pose as any address and escape the per-address log-in and registration limits. ' +
        'Set the number of proxies in front (TRUST_PROXY=1) or their addresses instead.',
    );
  }
  return warnings;
}
