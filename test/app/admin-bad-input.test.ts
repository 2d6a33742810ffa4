import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import request from 'supertest';
import test from 'tape';
import { parseBrowseQuery } from '../../src/app/admin/shared/browse-filters.ts';
import { adminSections } from '../../src/app/admin/sections.ts';
import { afterCategoryParam, afterTypeParam } from '../../src/app/admin/streams/params.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { silentLogger } from '../helpers/databases.ts';
import { createExpressApp } from '../../src/web/create-app.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

// Each of these reached PostgreSQL with a NUL byte (or a year it refuses) and came back as a 500.
const BAD_GETS = [
  '/admin/messages?traceId=a%00',
  '/admin/messages?userId=a%00',
  '/admin/messages?stream=a-%00',
  '/admin/messages?type=Tick&traceId=%01x',
  '/admin/users?q=a%00',
  `/admin/users?after=${base64url(`${randomUUID()} a\u0000@example.com`)}`,
  '/admin/streams/categories?after=a%00',
  `/admin/streams/types?after=${base64url(JSON.stringify(['a\u0000', 'b']))}`,
  '/admin/as-of?date=a%00',
];
// An id in the path is the route's to refuse, as any unknown id is: 404, as the portal promises.
const UNKNOWN_IDS = ['/admin/rebuild/%00', '/admin/rebuild/a%00b', '/admin/traces/a%00', '/admin/messages/%00'];

test('admin bad input: a control character in any parameter, the path or a cursor is a 400 with a page that says so, never a 500', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  await system.messageStore.write(`${uniqueCategory()}-1`, message('Tick'));
  const { app, admin } = await adminSectionApp(system, adminSections);
  for (const url of BAD_GETS) {
    const answer = await request(app).get(url).set('cookie', admin.cookie);
    t.equal(answer.status, 400, `GET ${url} → 400`);
    t.match(
      answer.text,
      /control character|broken|cannot be stored|must be|is not/i,
      `GET ${url}: the page says what is wrong`,
    );
  }
  for (const url of UNKNOWN_IDS)
    t.equal((await request(app).get(url).set('cookie', admin.cookie)).status, 404, `GET ${url} → 404`);
  const post = (url: string, form: Record<string, string>) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });
  for (const [url, form] of [
    ['/admin/exports/trace', { traceId: 'a\u0000' }],
    ['/admin/exports/category', { category: 'identity', format: 'jsonl', from: '2026-01-01\u0000' }],
    ['/admin/parked/1/discard', { reason: 'because\u0000' }],
  ] as const) {
    t.equal((await post(url, form)).status, 400, `POST ${url} with a NUL in a field → 400`);
  }
  t.equal(
    (await post('/admin/parked/1/discard', { reason: 'two\r\nlines\tand a tab' })).status,
    404,
    'line breaks and tabs in a typed reason are text, not control (no such parked message → 404)',
  );
});

test('admin bad input: each parser refuses control characters on its own, not only behind the portal’s guard', (t) => {
  for (const field of ['traceId', 'userId', 'stream'] as const) {
    const parsed = parseBrowseQuery({ [field]: field === 'stream' ? 'a-\u0000' : 'a\u0000' });
    t.notOk(parsed.ok, `the message browser refuses a NUL in ${field}`);
  }
  t.throws(() => afterCategoryParam('a\u0000'), /broken/, 'the categories cursor refuses a NUL');
  t.throws(
    () => afterTypeParam(base64url(JSON.stringify(['a\u0000', 'b']))),
    /broken/,
    'the types cursor refuses a NUL inside its JSON',
  );
  t.deepEqual(
    afterTypeParam(base64url(JSON.stringify(['identity', 'Registered']))),
    ['identity', 'Registered'],
    'a cursor it made still reads',
  );
  t.end();
});

test('error handler: PostgreSQL refusing a value from the request is a 400, not a 500; our own cast failing stays a 500', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const router = Router();
  router.get('/cast', async (req, res) => {
    const { sql, value } = req.query as { sql: string; value: string };
    await system.messageStorePool.query(`SELECT $1::${sql}`, [value]);
    res.send('cast');
  });
  const app = createExpressApp({
    logger: silentLogger,
    cookieSecret: 'error-handler-test-secret',
    production: false,
    requestBodyTimeoutMs: 60_000,
    viewDirs: [],
    routes: [{ path: '/', router }],
    probes: [],
  });
  const cases = [
    ['text', 'a\u0000', 400, 'NUL (22021)'],
    ['date', '0000-01-01', 400, 'year 0 (22008)'],
    ['timestamptz', '0000-01-01T00:00Z', 400, 'year 0 in a timestamp (22008)'],
    ['jsonb', '"a\\u0000"', 400, 'a NUL escape in jsonb (22P05)'],
    ['int', 'x', 500, 'text that is not a number (22P02: ours to fix, stays a 500)'],
    ['text', 'fine', 200, 'a value it takes'],
  ] as const;
  for (const [sql, value, status, what] of cases) {
    // The route takes the raw value from the query string, so the portal's guard is not in the way here.
    const answer = await request(app).get('/cast').query({ sql, value });
    t.equal(answer.status, status, `${what} → ${status}`);
    if (status === 400) t.match(answer.text, /cannot be stored|out of range/, 'with a page that says what');
  }
});
