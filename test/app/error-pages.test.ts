import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { createExpressApp } from '../../src/web/create-app.ts';
import { createHealthRouter } from '../../src/web/health.ts';
import type { SubscriberStatus } from '../../src/subscription/status.ts';
import { silentLogger } from '../helpers/databases.ts';

function appThatFails(production: boolean, subscribers: SubscriberStatus[] = []) {
  const router = Router();
  router.get('/boom', () => {
    throw new Error('secret internals at /srv/app');
  });
  return createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: createHealthRouter({
      appDatabase: async () => undefined,
      messageStore: async () => '1.3.0',
      subscribers: () => subscribers,
    }),
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

test('/ready: 503 naming a stalled subscriber', async (t) => {
  const stalled: SubscriberStatus = {
    subscriberId: 'aggregators:x',
    category: 'x',
    kind: 'aggregator',
    state: 'stalled',
    position: 41,
    checkpoint: 41,
    caughtUp: false,
    handled: 40,
    retries: 4,
    parked: 0,
    failure: { messageId: 'm', streamName: 'x-1', type: 'T', globalPosition: 42, error: 'Error: boom', attempts: 5, at: new Date() },
    readError: undefined,
  };
  const response = await request(appThatFails(false, [stalled])).get('/ready');
  t.equal(response.status, 503);
  t.deepEqual(response.body.subscribers, [{ subscriberId: 'aggregators:x', state: 'stalled', position: 41, caughtUp: false, failure: 'Error: boom' }]);
});
