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
  t.deepEqual(startupWarnings(parseEnv({ ...PRODUCTION, TRUST_PROXY: '1', HOST: '127.0.0.1' })), []);
  t.deepEqual(startupWarnings(parseEnv({ ...PRODUCTION, TRUST_PROXY: 'loopback' })), []);
  t.deepEqual(startupWarnings(parseEnv({})), [], 'development serves plain HTTP on purpose');
  t.deepEqual(startupWarnings(parseEnv({ NODE_ENV: 'test' })), []);
  t.end();
});

test('startup warnings: TRUST_PROXY=true is called out, since clients could then choose their own address', (t) => {
  const warnings = startupWarnings(parseEnv({ TRUST_PROXY: 'true' }));
  t.equal(warnings.length, 1);
  t.match(warnings[0] ?? '', /TRUST_PROXY=true believes every X-Forwarded-For hop/);
  t.deepEqual(
    startupWarnings(parseEnv({ TRUST_PROXY: '1', HOST: '127.0.0.1' })),
    [],
    'a hop count is fine on loopback',
  );
  t.end();
});

test('startup warnings: a hop count on an address others can reach says that a direct client can pose as any address', (t) => {
  const warnings = startupWarnings(parseEnv({ TRUST_PROXY: '1', HOST: '0.0.0.0' }));
  t.equal(warnings.length, 1, 'one warning for TRUST_PROXY=1 on 0.0.0.0');
  t.match(warnings[0] ?? '', /TRUST_PROXY=1/, 'naming the setting');
  t.match(warnings[0] ?? '', /X-Forwarded-For/, 'and the header a direct client writes');
  t.match(warnings[0] ?? '', /HOST=127\.0\.0\.1/, 'with the ways out: listen on loopback');
  t.match(warnings[0] ?? '', /address/, 'or trust the proxy by address');
  t.equal(
    startupWarnings(parseEnv({ TRUST_PROXY: '2', HOST: '203.0.113.5' })).length,
    1,
    'any non-loopback address, any hop count',
  );
  t.equal(
    startupWarnings(parseEnv({ ...PRODUCTION, TRUST_PROXY: '1' })).length,
    1,
    'HOST defaults to 0.0.0.0 in production: warned',
  );
  t.deepEqual(startupWarnings(parseEnv({ TRUST_PROXY: '1' })), [], 'and to loopback in development: not warned');
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) {
    t.deepEqual(
      startupWarnings(parseEnv({ TRUST_PROXY: '1', HOST: host })),
      [],
      `none on ${host}: only this machine reaches the app`,
    );
  }
  t.deepEqual(
    startupWarnings(parseEnv({ TRUST_PROXY: '10.0.0.5', HOST: '0.0.0.0' })),
    [],
    'none when the proxy is trusted by address',
  );
  t.deepEqual(startupWarnings(parseEnv({ TRUST_PROXY: '0', HOST: '0.0.0.0' })), [], 'none with no proxy trusted');
  t.end();
});
