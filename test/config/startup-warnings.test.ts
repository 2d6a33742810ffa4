import test from 'tape';
import { parseEnv } from '../../src/config/env.ts';
import { startupWarnings } from '../../src/config/startup-warnings.ts';

const PRODUCTION = {
  NODE_ENV: 'production',
  COOKIE_SECRET: 'k3Jd9s0Qm2Lx7Vb4Nc8Rt1Yw6Ze5Ha0PqUi',
  AUDIT_KEY: 'a9Zq2Lm8Xc4Vb7Nn1Rt5Yw0Ue3Ip6Oa2Ks',
  DATABASE_URL: 'postgres://u@localhost:5432/app',
  MESSAGE_STORE_URL: 'postgres://u@localhost:5432/messages',
};

test('startup warnings: production without a trusted proxy says, once, what to do', (t) => {
  for (const trustProxy of [{}, { TRUST_PROXY: 'false' }, { TRUST_PROXY: '0' }]) {
    const warnings = startupWarnings(parseEnv({ ...PRODUCTION, ...trustProxy }));
    t.equal(warnings.length, 1, `one warning with ${JSON.stringify(trustProxy)}`);
    t.match(warnings[0] ?? '', /TRUST_PROXY/, 'naming the variable');
    t.match(warnings[0] ?? '', /Secure session cookie.*403/, 'and what goes wrong without it');
    t.match(warnings[0] ?? '', /TRUST_PROXY=1/, 'with an example');
  }
  t.end();
});

test('startup warnings: none with a trusted proxy, or outside production', (t) => {
  t.deepEqual(startupWarnings(parseEnv({ ...PRODUCTION, TRUST_PROXY: '1' })), []);
  t.deepEqual(startupWarnings(parseEnv({ ...PRODUCTION, TRUST_PROXY: 'loopback' })), []);
  t.deepEqual(startupWarnings(parseEnv({})), [], 'development serves plain HTTP on purpose');
  t.deepEqual(startupWarnings(parseEnv({ NODE_ENV: 'test' })), []);
  t.end();
});

test('startup warnings: TRUST_PROXY=true is called out, since clients could then choose their own address', (t) => {
  const warnings = startupWarnings(parseEnv({ TRUST_PROXY: 'true' }));
  t.equal(warnings.length, 1);
  t.match(warnings[0] ?? '', /TRUST_PROXY=true believes every X-Forwarded-For hop/);
  t.deepEqual(startupWarnings(parseEnv({ TRUST_PROXY: '1' })), [], 'a hop count is fine');
  t.end();
});
