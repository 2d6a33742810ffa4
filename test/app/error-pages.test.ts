import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { createExpressApp } from '../../src/web/create-app.ts';
import { silentLogger } from '../helpers/databases.ts';

function appThatFails(production: boolean, error: () => Error) {
  const router = Router();
  router.get('/boom', () => {
    throw error();
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

const visible = (html: string) => html.replace(/<[^>]+>/g, ' ');

test('500 page: never a stack or an error message, in production or in development', async (t) => {
  for (const production of [true, false]) {
    const mode = production ? 'production' : 'development';
    const page = await request(appThatFails(production, () => new Error('secret internals at /srv/app'))).get('/boom');
    t.equal(page.status, 500, mode);
    t.match(page.text, /Something went wrong on our side/, `a friendly page in ${mode}`);
    t.doesNotMatch(visible(page.text), /secret internals|at .*\.ts|Error/, `no message or stack in ${mode}`);
  }
});

test('503 page: the database out of reach asks to try again in a moment, whatever the mode, however the error is wrapped', async (t) => {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const outages: Record<string, () => Error> = {
    'a refused connection': refused,
    'a server shutting down (SQLSTATE 57P01)': () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    'a pool that cannot connect': () => new Error('timeout exceeded when trying to connect'),
    'a refused connection wrapped as a cause': () => new Error('could not load the page', { cause: refused() }),
  };
  for (const production of [true, false]) {
    for (const [what, error] of Object.entries(outages)) {
      const page = await request(appThatFails(production, error)).get('/boom');
      const mode = production ? 'production' : 'development';
      t.equal(page.status, 503, `${what} (${mode}): 503`);
      t.equal(page.headers['retry-after'], '5', 'with Retry-After');
      t.match(page.text, /try again in a moment/, 'a plain page asking to try again in a moment');
      t.doesNotMatch(visible(page.text), /ECONNREFUSED|terminating|timeout|Error|at .*\.ts/, 'with none of the error\'s own words');
    }
  }
});
