import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { createExpressApp } from '../../src/web/create-app.ts';
import { silentLogger } from '../helpers/databases.ts';

function appThatFails(production: boolean) {
  const router = Router();
  router.get('/boom', () => {
    throw new Error('secret internals at /srv/app');
  });
  return createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production,
    requestBodyTimeoutMs: 60_000,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: [],
  });
}

test('500 page: never a stack in production, a stack in development', async (t) => {
  const production = await request(appThatFails(true)).get('/boom');
  t.equal(production.status, 500);
  t.match(production.text, /Something went wrong on our side/, 'a friendly page');
  t.doesNotMatch(production.text, /secret internals|at .*\.ts/, 'no message or stack in production');

  const development = await request(appThatFails(false)).get('/boom');
  t.equal(development.status, 500);
  t.match(development.text, /secret internals/, 'development shows the stack');
});
