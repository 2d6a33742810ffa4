import request from 'supertest';
import test from 'tape';
import { parseTime } from '../../src/as-of/point.ts';
import { parseBrowseQuery } from '../../src/app/admin/shared/browse-filters.ts';
import { adminSections } from '../../src/app/admin/sections.ts';
import { FROM_THIS_SITE } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN } from '../helpers/admin-section-app.ts';
import { message } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('dates: one strict reader — real calendar days, real times, years 1 to 9999', (t) => {
  const iso = (text: string, options?: Parameters<typeof parseTime>[1]) => parseTime(text, options)?.toISOString();
  t.equal(iso('2026-11-24'), '2026-11-24T00:00:00.000Z', 'a date is its first millisecond');
  t.equal(iso('2026-11-24', { day: 'end' }), '2026-11-24T23:59:59.999Z', 'or its last, when asked');
  t.equal(iso('2026-11-24T10:30'), '2026-11-24T10:30:00.000Z', 'a time without a zone is UTC');
  t.equal(iso('2026-11-24 10:30:15.5'), '2026-11-24T10:30:15.500Z');
  t.equal(iso('2026-11-24T10:30:00+02:00'), '2026-11-24T08:30:00.000Z', 'a zone is read');
  t.equal(iso('2026-11-24T10:30:00+02:00', { zones: false }), undefined, 'unless zones are not taken');
  t.equal(iso('0001-01-01'), '0001-01-01T00:00:00.000Z', 'year 1 is the first');
  t.equal(iso('0050-03-01'), '0050-03-01T00:00:00.000Z', 'a two-digit year is not read as 19xx');
  t.equal(iso('2024-02-29'), '2024-02-29T00:00:00.000Z', 'a leap day');
  for (const bad of [
    '0000-01-01',
    '0000-12-31T23:59',
    '0001-01-01T00:30+01:00',
    '9999-12-31T23:00-05:00',
    '2026-02-31',
    '2023-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-11-24T24:00',
    '2026-11-24T10:60',
    '2026-11-24T10:30:60',
    '2026-11-24T10:30+24:00',
    'yesterday',
    '',
    '2026-1-1',
  ]) {
    t.equal(parseTime(bad), undefined, `${JSON.stringify(bad)} is refused`);
  }
  t.notOk(
    parseBrowseQuery({ from: '2026-02-31' }).ok,
    'the message browser refuses 2026-02-31 rather than filter from 2026-03-03',
  );
  t.end();
});

test('dates: the message browser, the as-of page and the category export answer a year 0 or an impossible day with a 400, never a 500', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  await system.messageStore.write('dateTest-1', message('Tick'));
  const { app, admin } = await adminSectionApp(system, adminSections);
  const get = (url: string) => request(app).get(url).set('cookie', admin.cookie);
  for (const url of [
    '/admin/messages?from=0000-01-01',
    '/admin/messages?to=0000-01-01T00:00',
    '/admin/messages?from=2026-02-31',
    '/admin/messages?to=2026-04-31T10:00',
    '/admin/as-of?date=0000-01-01',
    '/admin/as-of?date=0000-06-30T12:00',
    '/admin/as-of?date=2026-02-30',
  ]) {
    const answer = await get(url);
    t.equal(answer.status, 400, `GET ${url} → 400`);
    t.match(answer.text, /real date|must be/, 'and the page says what a date is');
  }
  for (const url of [
    '/admin/messages?from=0001-01-01',
    '/admin/messages?from=2026-02-28&to=2026-03-01',
    '/admin/as-of?date=0001-01-01',
  ]) {
    t.equal((await get(url)).status, 200, `GET ${url} → 200`);
  }
  const post = (form: Record<string, string>) =>
    request(app)
      .post('/admin/exports/category')
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, category: 'dateTest', format: 'jsonl', ...form });
  for (const form of [{ from: '0000-01-01' }, { to: '0000-01-01T00:00' }, { from: '2026-02-31' }] as Record<
    string,
    string
  >[]) {
    t.equal((await post(form)).status, 400, `POST /admin/exports/category ${JSON.stringify(form)} → 400`);
  }
  const whole = await post({ from: '0001-01-01' });
  t.equal(whole.status, 200, 'an export from year 1 is made');
  t.match(whole.text, /"type":"Tick"/, 'with the message in it');
});
