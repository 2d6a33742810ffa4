import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { parseEnv } from '../../src/config/env.ts';
import { createExpressApp } from '../../src/web/create-app.ts';
import { silentLogger } from '../helpers/databases.ts';

/** A production site whose only page starts a session (as a page that leaves a notice does). */
function productionSite(env: Record<string, string>) {
  const router = Router();
  router.get('/', (req, res) => {
    req.session!.flash = 'hello';
    res.send('ok');
  });
  return createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production: true,
    requestBodyTimeoutMs: 60_000,
    trustProxy: parseEnv(env).trustProxy,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: [],
  });
}

const sessionCookie = (response: request.Response): string | undefined =>
  ([] as string[]).concat(response.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('session='));

test('TRUST_PROXY: behind a trusted TLS proxy the session cookie is Secure; untrusted headers are ignored', async (t) => {
  const behindProxy = await request(productionSite({ TRUST_PROXY: '1' }))
    .get('/')
    .set('X-Forwarded-Proto', 'https')
    .expect(200);
  t.match(
    sessionCookie(behindProxy) ?? '',
    /;\s*secure/i,
    'TRUST_PROXY=1 and X-Forwarded-Proto: https: a Secure session cookie',
  );

  const byAddress = await request(productionSite({ TRUST_PROXY: 'loopback' }))
    .get('/')
    .set('X-Forwarded-Proto', 'https')
    .expect(200);
  t.match(sessionCookie(byAddress) ?? '', /;\s*secure/i, 'trusting the proxy by address works too');

  const notTrusted = await request(productionSite({})).get('/').set('X-Forwarded-Proto', 'https').expect(200);
  t.equal(
    sessionCookie(notTrusted),
    undefined,
    'without TRUST_PROXY the header is not believed: no Secure cookie over plain HTTP',
  );

  const otherProxy = await request(productionSite({ TRUST_PROXY: '10.0.0.0/8' }))
    .get('/')
    .set('X-Forwarded-Proto', 'https')
    .expect(200);
  t.equal(sessionCookie(otherProxy), undefined, 'nor when the request does not come from the trusted proxy');
});
