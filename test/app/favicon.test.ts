import request from 'supertest';
import test from 'tape';
import { createExpressApp } from '../../src/web/create-app.ts';
import { silentLogger } from '../helpers/databases.ts';

const app = createExpressApp({
  logger: silentLogger,
  cookieSecret: 'x'.repeat(40),
  production: false,
  requestBodyTimeoutMs: 60_000,
  viewDirs: [],
  routes: [],
  probes: [],
});

test('favicon: the browser’s automatic /favicon.ico is an image, not a 404; pages link the SVG icon', async (t) => {
  const ico = await request(app).get('/favicon.ico');
  t.equal(ico.status, 200, '/favicon.ico answers 200');
  t.match(ico.headers['content-type'] ?? '', /^image\/svg\+xml/, 'as an image');
  t.match(String(ico.body ?? ico.text), /<svg\b/, 'the SVG icon itself');
  const svg = await request(app).get('/public/favicon.svg');
  t.equal(svg.status, 200, 'the linked icon is served');
  t.match(svg.headers['content-type'] ?? '', /^image\/svg\+xml/, 'as an SVG image');
  const page = await request(app).get('/no-such-page');
  t.match(page.text, /<link rel="icon" href="\/public\/favicon.svg" type="image\/svg\+xml">/, 'every page links it');
});
