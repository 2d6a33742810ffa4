import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { createExpressApp } from '../../src/web/create-app.ts';
import { HttpError, NotFoundError } from '../../src/web/errors.ts';
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
    'a server shutting down (SQLSTATE 57P01)': () =>
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
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
      t.doesNotMatch(
        visible(page.text),
        /ECONNREFUSED|terminating|timeout|Error|at .*\.ts/,
        "with none of the error's own words",
      );
    }
  }
});

test('503 page: a name that does not resolve for now (EAI_AGAIN, as when a database container restarts) or an unreachable network is an outage too', async (t) => {
  const outages: Record<string, () => Error> = {
    'a DNS lookup that fails for now': () =>
      Object.assign(new Error('getaddrinfo EAI_AGAIN db'), { code: 'EAI_AGAIN' }),
    'a network out of reach': () =>
      Object.assign(new Error('connect ENETUNREACH 10.0.0.5:5432'), { code: 'ENETUNREACH' }),
  };
  for (const [what, error] of Object.entries(outages)) {
    const page = await request(appThatFails(true, error)).get('/boom');
    t.equal(page.status, 503, `${what}: 503`);
    t.match(page.text, /try again in a moment/, 'a plain page asking to try again in a moment');
  }
});

test('4xx pages from the libraries (a body that cannot be read, an address that cannot be decoded) say what to do, never the library’s own words', async (t) => {
  const router = Router();
  router.post('/form', (_req, res) => void res.send('ok'));
  router.get('/things/:id', (_req, res) => void res.send('ok'));
  const app = createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production: true,
    requestBodyTimeoutMs: 60_000,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: [],
  });
  const form = (headers: Record<string, string>, body: string) =>
    request(app).post('/form').set('Sec-Fetch-Site', 'same-origin').set(headers).send(body);
  const cases: [string, () => request.Test, RegExp][] = [
    [
      'an unknown charset',
      () => form({ 'content-type': 'application/x-www-form-urlencoded; charset=foo' }, 'a=1'),
      /unsupported|charset|FOO/i,
    ],
    [
      'an unknown content encoding',
      () => form({ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'bogus' }, 'a=1'),
      /unsupported|encoding|bogus/i,
    ],
    [
      'a gzip body that is not gzip',
      () => form({ 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, 'not gzip'),
      /incorrect header check/i,
    ],
    ['a path that cannot be decoded', () => request(app).get('/things/%E0%A4%A'), /Failed to decode|%E0/i],
  ];
  for (const [what, send, words] of cases) {
    const page = await send();
    t.ok(page.status >= 400 && page.status < 500, `${what}: ${page.status}`);
    t.doesNotMatch(visible(page.text), words, 'without the library’s words');
    t.match(visible(page.text), /try again/i, 'saying what to do');
  }
});

test('404 pages: titled for what was not found, never "That did not work", with a next step', async (t) => {
  const router = Router();
  router.get('/plain', () => {
    throw new NotFoundError('Nothing here.');
  });
  router.get('/video', () => {
    throw new NotFoundError('There is no published video here.', { title: 'Video not found' });
  });
  router.get('/gone', () => {
    throw new HttpError(410, 'Taken down.');
  });
  router.get('/mine', () => {
    throw new NotFoundError('Not yours.', {
      title: 'Video not found',
      next: { href: '/creators-portal', label: 'Back to your videos' },
    });
  });
  const app = createExpressApp({
    logger: silentLogger,
    cookieSecret: 'x'.repeat(40),
    production: true,
    requestBodyTimeoutMs: 60_000,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: [],
  });
  const cases: [string, number, string, string][] = [
    ['/no/such/page', 404, 'Page not found', '<a class="button" href="/">Browse the videos on the home page</a>'],
    ['/plain', 404, 'Page not found', '<a class="button" href="/">Browse the videos on the home page</a>'],
    ['/video', 404, 'Video not found', '<a class="button" href="/">Browse the videos on the home page</a>'],
    ['/gone', 410, 'No longer available', '<a class="button" href="/">Browse the videos on the home page</a>'],
    ['/mine', 404, 'Video not found', '<a class="button" href="/creators-portal">Back to your videos</a>'],
  ];
  for (const [path, status, title, next] of cases) {
    const page = await request(app).get(path);
    t.equal(page.status, status, `${path}: ${status}`);
    t.match(page.text, new RegExp(`<title>${title} · Video Tutorials</title>`), `${path}: titled "${title}"`);
    t.match(page.text, new RegExp(`<h1>${title}</h1>`), `${path}: headed "${title}"`);
    t.ok(page.text.includes(next), `${path}: the next step is a link`);
    t.doesNotMatch(page.text, /That did not work/, `${path}: not "That did not work"`);
  }
});
