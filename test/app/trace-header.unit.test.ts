import express from 'express';
import request from 'supertest';
import test from 'tape';
import { pino } from 'pino';
import { errorHandler } from '../../src/web/error-handlers.ts';
import { usePugViews } from '../../src/web/create-app.ts';
import { requestContext } from '../../src/web/request-context.ts';

test('trace header: a request whose session cannot be read (the database out of reach) still has a trace id to quote', async (t) => {
  const app = express();
  usePugViews(app, []);
  // A cookie session with an id, and a sessions table out of reach.
  app.use((req, _res, next) => {
    (req as { session?: unknown }).session = { sid: 'abc' };
    next();
  });
  app.use(
    requestContext({
      sessionUser: async () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    }),
  );
  app.get('/', (_req, res) => res.send('never'));
  app.use(errorHandler({ logger: pino({ level: 'silent' }) }));

  const answer = await request(app).get('/');
  t.equal(answer.status, 503, 'the outage page');
  const traceId = answer.headers['x-trace-id'];
  t.match(String(traceId), /^[0-9a-f-]{36}$/, 'with its X-Trace-Id: when the site fails, support needs it most');
  t.ok(answer.text.includes(`<!-- trace ${traceId} -->`), 'and the same id in the page');
});
