import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import request from 'supertest';
import test from 'tape';
import { requestLog } from '../../src/web/request-log.ts';

/** A pino destination that keeps each JSON line written to it, parsed. */
function logLines(): { lines: Record<string, unknown>[]; sink: Writable } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, sink };
}

test('request log: one line per request with method, path, status, time and trace id', async (t) => {
  const { lines, sink } = logLines();
  const app = express();
  app.use((req, _res, next) => {
    req.context = { traceId: 'trace-1', userId: null };
    next();
  });
  app.use(requestLog(pino({ base: undefined }, sink)));
  app.get('/page', (_req, res) => res.status(201).send('made'));
  await request(app).get('/page?x=1').expect(201);
  t.equal(lines.length, 1, 'one line');
  t.equal(lines[0]?.msg, 'request');
  t.deepEqual(
    [lines[0]?.method, lines[0]?.url, lines[0]?.status, lines[0]?.traceId],
    ['GET', '/page?x=1', 201, 'trace-1'],
    'what an operator reads',
  );
  t.equal(typeof lines[0]?.ms, 'number', 'and how long it took');

  const quiet: string[] = [];
  const silentApp = express();
  silentApp.use(
    requestLog(
      pino(
        { level: 'warn' },
        new Writable({ write: (chunk: Buffer, _e, done) => (quiet.push(chunk.toString()), done()) }),
      ),
    ),
  );
  silentApp.get('/', (_req, res) => res.send('ok'));
  await request(silentApp).get('/').expect(200);
  t.deepEqual(quiet, [], 'nothing at a level above info');
});

test('request log: a CSRF token in the URL (plain multipart uploads) is not logged', async (t) => {
  const { lines, sink } = logLines();
  const app = express();
  app.use(requestLog(pino({ base: undefined }, sink)));
  app.post('/upload', (_req, res) => res.status(303).send(''));
  await request(app).post('/upload?_csrf=secret-token&x=1').expect(303);
  t.equal(lines[0]?.url, '/upload?_csrf=***&x=1');
});

test('request log: an email address in the URL ("Log in instead" types it in) is not logged', async (t) => {
  const { lines, sink } = logLines();
  const app = express();
  app.use(requestLog(pino({ base: undefined }, sink)));
  app.get('/auth/log-in', (_req, res) => res.send('form'));
  await request(app).get('/auth/log-in?email=alice%40example.com').expect(200);
  await request(app).get('/auth/log-in?returnTo=%2F&email=bob%40example.com&_csrf=x').expect(200);
  t.equal(lines[0]?.url, '/auth/log-in?email=***', 'personal data stays out of logs, which erasure cannot reach');
  t.equal(lines[1]?.url, '/auth/log-in?returnTo=%2F&email=***&_csrf=***', 'the other parameters stay');
});

test('request log: an account link in the URL (a password reset) is logged without its signature, which would open it', async (t) => {
  const { lines, sink } = logLines();
  const app = express();
  app.use(requestLog(pino({ base: undefined }, sink)));
  app.get('/auth/reset/:token', (_req, res) => res.send('form'));
  const requestId = '6f1d2c84-9e3a-4b57-a0c2-7d5e8f1b3a96';
  const signature = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde';
  await request(app).get(`/auth/reset/${requestId}.${signature}`).expect(200);
  await request(app).get(`/auth/reset/${requestId}.${signature}?email=a%40b.example`).expect(200);
  t.equal(lines[0]?.url, `/auth/reset/${requestId}.***`, 'the request it names stays, the token does not');
  t.equal(lines[1]?.url, `/auth/reset/${requestId}.***?email=***`, 'with the query hidden as before');
  t.notOk(JSON.stringify(lines).includes(signature), 'the signature is nowhere in the log');
});
