import { randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import request from 'supertest';
import test from 'tape';
import { browseMessages } from '../../src/message-queries/browse.ts';
import { browseHref, parseBrowseQuery } from '../../src/app/admin/shared/browse-filters.ts';
import { messagesSection } from '../../src/app/admin/messages/index.ts';
import { maskEmail, redactForDisplay, REDACTED } from '../../src/personal-data/redact.ts';
import { follow, type Message, type MessageStore, type RawMessage } from '../../src/message-store/index.ts';
import { adminSectionApp, checkAdminOnly } from '../helpers/admin-section-app.ts';
import { uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const msg = (type: string, data: Record<string, unknown> = {}, metadata: Message['metadata'] = {}): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata,
});

async function written(store: MessageStore, stream: string, message: Message): Promise<RawMessage> {
  const position = await store.write(stream, message);
  const [recorded] = await store.readStream(stream, { fromPosition: position, batchSize: 1 });
  return recorded!;
}

/** The global positions a page lists, in its order. */
const positionsOn = (html: string): number[] =>
  [...html.matchAll(/<td><a href="\/admin\/messages\/(\d+)">/g)].map((match) => Number(match[1]));
const olderLink = (html: string): string | undefined =>
  /<a href="([^"]+)">(?:Older|Search older messages) →<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');

test('admin messages: visitors are sent to log in, users get 403, admins see the browser and a message', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const section = await adminSectionApp(system, [messagesSection]);
  const one = await written(system.messageStore, `${uniqueCategory()}-1`, msg('Something'));
  await checkAdminOnly(t, section, ['/admin/messages', `/admin/messages/${one.globalPosition}`]);
});

test('admin messages: newest first in keyset pages of 50 that neither skip nor repeat', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [messagesSection]);
  const category = uniqueCategory();
  const all: number[] = [];
  for (let n = 0; n < 120; n += 1)
    all.push((await written(system.messageStore, `${category}-${n % 7}`, msg('Tick', { n }))).globalPosition);
  const seen: number[] = [];
  let url: string | undefined = `/admin/messages?category=${category}`;
  const sizes: number[] = [];
  while (url) {
    const page = await request(app).get(url).set('cookie', admin.cookie).expect(200);
    const positions = positionsOn(page.text);
    sizes.push(positions.length);
    seen.push(...positions);
    url = olderLink(page.text);
  }
  t.deepEqual(sizes, [50, 50, 20], 'three pages');
  t.deepEqual(seen, [...all].reverse(), 'every message once, newest first');
});

test('admin messages: each filter — category, stream, type, trace, user, time range — and bad filters are a 400', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [messagesSection]);
  const store = system.messageStore;
  const category = uniqueCategory();
  const other = uniqueCategory();
  const [traceId, userId] = [randomUUID(), randomUUID()];
  const a = await written(store, `${category}-a`, msg('Opened'));
  const traced = await written(store, `${category}-b`, msg('Closed', {}, { traceId, userId }));
  const elsewhere = await written(store, `${other}-a`, msg('Opened', {}, { traceId }));
  // Apart in time, so a range can fall between them to the millisecond.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const late = await written(store, `${category}-a`, msg('Opened', {}, { userId }));
  await new Promise((resolve) => setTimeout(resolve, 30));
  const latest = await written(store, `${other}-b`, msg('Closed'));

  const listed = async (query: string) =>
    positionsOn((await request(app).get(`/admin/messages?${query}`).set('cookie', admin.cookie).expect(200)).text);
  t.deepEqual(
    await listed(`category=${category}`),
    [late, traced, a].map((m) => m.globalPosition),
    'by category',
  );
  t.deepEqual(
    await listed(`stream=${category}-a`),
    [late, a].map((m) => m.globalPosition),
    'by stream',
  );
  t.deepEqual(
    await listed(`category=${category}&type=Opened`),
    [late, a].map((m) => m.globalPosition),
    'by type',
  );
  t.deepEqual(
    await listed(`traceId=${traceId}`),
    [elsewhere, traced].map((m) => m.globalPosition),
    'by trace id',
  );
  t.deepEqual(
    await listed(`userId=${userId}`),
    [late, traced].map((m) => m.globalPosition),
    'by user id',
  );
  const ms = (time: Date) => time.toISOString().slice(0, 23);
  t.deepEqual(
    await listed(`from=${ms(late.time)}&to=${ms(latest.time)}`),
    [late.globalPosition],
    'by time range: from inclusive, to exclusive',
  );
  t.deepEqual(
    await listed(`from=${ms(late.time)}`),
    [latest, late].map((m) => m.globalPosition),
    'from a time on',
  );
  t.deepEqual(
    await listed(`category=${category}&to=${ms(late.time)}`),
    [traced, a].map((m) => m.globalPosition),
    'up to a time, within a category',
  );
  t.deepEqual(
    await listed(`stream=${category}-a&before=${late.globalPosition}`),
    [a.globalPosition],
    'a stream, paged by its cursor',
  );

  for (const query of [
    'category=no-dashes',
    'stream=nodash',
    'type=a%20b',
    'from=yesterday',
    'before=abc',
    `from=2030-01-02&to=2030-01-01`,
    `category=${category}&stream=${other}-a`,
  ]) {
    const response = await request(app).get(`/admin/messages?${query}`).set('cookie', admin.cookie);
    t.equal(response.status, 400, `${query} → 400`);
    t.match(response.text, /field__error|form-error/, 'with the reason on the form');
  }
});

test('admin messages: a filter no index serves looks through a bounded window and goes on from where it stopped', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const store = system.messageStore;
  const category = uniqueCategory();
  const rare = await written(store, `${category}-1`, msg('Rare'));
  for (let n = 0; n < 25; n += 1) await written(store, `${category}-1`, msg('Common'));
  const filters = { category, type: 'Rare' };
  const first = await browseMessages(system.messageStorePool, { filters }, { window: 10 });
  t.deepEqual(first.messages, [], 'not within the newest ten');
  t.equal(
    first.searched && first.searched.to - first.searched.from + 1,
    10,
    'the page says which positions it looked through',
  );
  t.ok(first.older !== undefined && first.older > rare.globalPosition, 'and where to go on');
  let page = first;
  const found: number[] = [];
  while (page.older !== undefined) {
    page = await browseMessages(system.messageStorePool, { filters, before: page.older }, { window: 10 });
    found.push(...page.messages.map((m) => m.globalPosition));
  }
  t.deepEqual(found, [rare.globalPosition], 'following on finds it, and the end is the end');
});

test('admin messages: a message’s page redacts secrets and masks addresses, and links its cause and consequences', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [messagesSection]);
  const store = system.messageStore;
  const category = uniqueCategory();
  const traceId = randomUUID();
  const passwordHash = await bcrypt.hash('correct horse battery', 4);
  const email = 'alice.wonder@example.com';
  const cause = await written(store, `${category}:command-1`, msg('Register', { email, passwordHash }, { traceId }));
  const effect = await written(
    store,
    `${category}-1`,
    follow(cause, 'Registered', { email, passwordHash, note: `welcome ${email}` }),
  );
  const unrelated = await written(store, `${category}-2`, msg('Registered', {}, { traceId: randomUUID() }));

  const page = await request(app)
    .get(`/admin/messages/${effect.globalPosition}`)
    .set('cookie', admin.cookie)
    .expect(200);
  t.doesNotMatch(page.text, /\$2b\$/, 'no bcrypt hash on the page');
  t.notOk(page.text.includes(email), 'no full email address on the page');
  t.ok(page.text.includes('a•••@example.com'), 'the address masked');
  t.match(page.text, /&quot;passwordHash&quot;: &quot;\[redacted\]&quot;/, 'the hash field shown as redacted');
  t.ok(page.text.includes(`href="/admin/messages/${cause.globalPosition}"`), 'links its cause');
  t.ok(page.text.includes(`href="/admin/traces/${traceId}"`), 'and its trace');

  const causePage = await request(app)
    .get(`/admin/messages/${cause.globalPosition}`)
    .set('cookie', admin.cookie)
    .expect(200);
  t.ok(causePage.text.includes(`href="/admin/messages/${effect.globalPosition}"`), 'the cause lists its consequence');
  t.notOk(causePage.text.includes(`href="/admin/messages/${unrelated.globalPosition}"`), 'and nothing unrelated');
  t.match(causePage.text, /no cause/, 'and says it has no cause of its own');
  t.ok(
    causePage.text.includes(`global positions ${cause.globalPosition + 1} to ${unrelated.globalPosition}.`),
    'and which messages it looked through for consequences',
  );
  const newest = await request(app)
    .get(`/admin/messages/${unrelated.globalPosition}`)
    .set('cookie', admin.cookie)
    .expect(200);
  t.match(newest.text, /Nothing has been written after it yet/, 'the newest message says none can follow it yet');

  for (const bad of ['999999999', 'abc', '0', '-1', '1e3', '12345678901234567890', '%00']) {
    const response = await request(app).get(`/admin/messages/${bad}`).set('cookie', admin.cookie);
    t.equal(response.status, 404, `/admin/messages/${bad} → 404`);
  }
});

test('redaction: secrets by name or shape, addresses masked wherever they are, everything else as it was', (t) => {
  const hash = `$2b$04$${'a'.repeat(53)}`;
  t.equal(maskEmail('alice@example.com'), 'a•••@example.com');
  t.equal(maskEmail('édith@example.fr'), 'é•••@example.fr', 'a whole first letter');
  t.deepEqual(
    redactForDisplay({
      userId: 'u-1',
      email: 'Bob@Example.com',
      passwordHash: hash,
      password: 'hunter2',
      token: null,
      to: 'carol@example.org',
      html: `<p>Welcome, dave@example.net</p>`,
      note: `hash ${hash} here`,
      items: [{ email: 'not an address' }, 3, true, null],
      emailId: '4a0e5a43-0000-4000-8000-000000000000',
    }),
    {
      userId: 'u-1',
      email: 'B•••@Example.com',
      passwordHash: REDACTED,
      password: REDACTED,
      token: null,
      to: 'c•••@example.org',
      html: '<p>Welcome, d•••@example.net</p>',
      note: `hash ${REDACTED} here`,
      items: [{ email: REDACTED }, 3, true, null],
      emailId: '4a0e5a43-0000-4000-8000-000000000000',
    },
  );
  t.end();
});

test('admin messages: the links to older pages keep every filter as the form took it, to the millisecond', (t) => {
  const parsed = parseBrowseQuery({
    category: 'identity',
    type: 'Registered',
    from: '2026-01-01T00:00:00.123',
    to: '2026-01-02',
    before: '',
  });
  if (!parsed.ok) return t.fail('the query parses');
  const href = browseHref(parsed.query.filters, 42);
  t.equal(
    href,
    '/admin/messages?category=identity&type=Registered&from=2026-01-01T00%3A00%3A00.123&to=2026-01-02T00%3A00%3A00.000&before=42',
  );
  const again = parseBrowseQuery(Object.fromEntries(new URL(href, 'http://x').searchParams));
  t.deepEqual(
    again.ok && again.query,
    { filters: parsed.query.filters, before: 42 },
    'and read back to the same query',
  );
  t.end();
});
