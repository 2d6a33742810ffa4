import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { exportBatches } from '../../src/message-queries/export-batches.ts';
import { csvField } from '../../src/exports/formats.ts';
import { exportsSection } from '../../src/app/admin/exports/index.ts';
import { identityCommandStreamName } from '../../src/contracts/identity.ts';
import type { RawMessage } from '../../src/message-store/index.ts';
import { FROM_THIS_SITE, logIn } from '../helpers/accounts.ts';
import { adminSectionApp, CSRF_TOKEN, registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

interface Exported {
  readonly globalPosition: number;
  readonly streamName: string;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
}

/** Every message in the store, read without the code under test. */
async function everything(system: Awaited<ReturnType<typeof createTestSystem>>): Promise<RawMessage[]> {
  const all: RawMessage[] = [];
  const reader = system.messageStore.allMessagesReader();
  for (let from = 1; ;) {
    const { messages } = await reader.read(from, 1000);
    if (messages.length === 0) return all;
    all.push(...messages);
    from = messages.at(-1)!.globalPosition + 1;
  }
}

/** A minimal RFC 4180 reader, enough to read our own CSV back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

test('admin exports: a user’s history holds exactly their messages, as JSON and as CSV, redacted, and each export is recorded', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const { app, admin, user } = await adminSectionApp(system, [exportsSection]);
  const ada = await registerThroughTheSite(system, 'ada.export@example.com', 'ada’s long password');
  const bob = await registerThroughTheSite(system, 'bob.export@example.com', 'bob’s long password');
  t.equal(
    (await logIn(request.agent(system.app), 'ada.export@example.com', 'ada’s long password')).status,
    303,
    'Ada logs in once',
  );

  const post = (url: string, form: Record<string, string>) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });
  t.equal((await request(app).get('/admin/exports')).status, 303, 'a visitor is sent to log in');
  t.equal(
    (await request(app).get('/admin/exports').set('cookie', user.cookie)).status,
    403,
    'a user without the role → 403',
  );
  t.equal(
    (await request(app).get('/admin/exports').set('cookie', admin.cookie)).status,
    200,
    'an admin sees the forms',
  );
  for (const [url, form] of [
    ['/admin/exports/user', { userId: ada, format: 'json' }],
    ['/admin/exports/trace', { traceId: 'x' }],
    ['/admin/exports/category', { category: 'identity', format: 'jsonl' }],
  ] as const) {
    t.equal(
      (
        await request(app)
          .post(url)
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: CSRF_TOKEN, ...form })
      ).status,
      303,
      `POST ${url}: a visitor is sent to log in`,
    );
    t.equal(
      (
        await request(app)
          .post(url)
          .set('cookie', user.cookie)
          .set(FROM_THIS_SITE)
          .type('form')
          .send({ _csrf: CSRF_TOKEN, ...form })
      ).status,
      403,
      `POST ${url}: a user → 403`,
    );
    t.equal(
      (await request(app).post(url).set('cookie', admin.cookie).set(FROM_THIS_SITE).type('form').send(form)).status,
      403,
      `POST ${url}: without the CSRF token → 403`,
    );
  }

  const json = await post('/admin/exports/user', { userId: ada, format: 'json' }).expect(200);
  t.match(json.headers['content-type'] ?? '', /^application\/json/);
  t.match(json.headers['content-disposition'] ?? '', new RegExp(`attachment; filename="user-${ada}.json"`));
  const parsed = JSON.parse(json.text) as {
    export: { kind: string; upToGlobalPosition: number };
    messages: Exported[];
    count: number;
  };

  // Hers: a stream whose id (before any +) is hers, or metadata naming her as the cause.
  const theirs = (m: { streamName: string; metadata: { userId?: unknown } }, userId: string) =>
    m.streamName.slice(m.streamName.indexOf('-') + 1).split('+')[0] === userId || m.metadata.userId === userId;
  const asOfExport = (await everything(system)).filter((m) => m.globalPosition <= parsed.export.upToGlobalPosition);
  const expected = asOfExport.filter((m) => theirs(m, ada)).map((m) => m.globalPosition);
  t.deepEqual(
    parsed.messages.map((m) => m.globalPosition),
    expected,
    'exactly her messages, in global order, read independently',
  );
  t.equal(parsed.count, parsed.messages.length, 'and says how many');
  t.ok(parsed.messages.length >= 7, `a registration and a log-in's worth (${parsed.messages.length})`);
  const types = new Set(parsed.messages.map((m) => m.type));
  for (const type of [
    'Register',
    'EmailReserved',
    'Registered',
    'Send',
    'Sent',
    'RegistrationEmailSent',
    'UserLoggedIn',
  ])
    t.ok(types.has(type), `with ${type}`);
  t.ok(
    asOfExport.some((m) => theirs(m, bob)),
    'Bob has messages in the store…',
  );
  t.notOk(
    parsed.messages.some((m) => theirs(m, bob)),
    '…and none of them is in hers',
  );
  t.doesNotMatch(json.text, /\$2[aby]\$/, 'no password hash');
  t.notOk(json.text.includes('ada.export@example.com'), 'no full address');

  const csv = await post('/admin/exports/user', { userId: ada, format: 'csv' }).expect(200);
  t.match(csv.headers['content-type'] ?? '', /^text\/csv/);
  const rows = parseCsv(csv.text);
  t.equal(
    rows[0]!.join(','),
    'global_position,time,stream_name,position,type,id,trace_id,user_id,causation_global_position,data,metadata',
    'a header row',
  );
  t.deepEqual(
    rows.slice(1).map((row) => Number(row[0])),
    parsed.messages.map((m) => m.globalPosition),
    'the same messages as the JSON',
  );
  t.deepEqual(JSON.parse(rows[1]![9]!), parsed.messages[0]!.data, 'data as JSON in its column');
  t.doesNotMatch(csv.text, /\$2[aby]\$/);
  t.notOk(csv.text.includes('ada.export@example.com'));

  const [register] = await system.messageStore.readStream(identityCommandStreamName(ada));
  const trace = await post('/admin/exports/trace', { traceId: register!.metadata.traceId! }).expect(200);
  t.deepEqual(
    (JSON.parse(trace.text) as { messages: Exported[] }).messages.map((m) => m.type),
    ['Register', 'EmailReserved', 'HandleReserved', 'Registered', 'Send', 'Sent', 'RegistrationEmailSent'],
    'a trace: the registration, message by message',
  );

  const recorded = (await system.messageStore.readStream(adminActionsStreamName(admin.userId))).map((m) => [
    m.type,
    m.data,
    m.metadata.userId,
  ]);
  t.deepEqual(
    recorded,
    [
      [
        'ExportMade',
        { adminId: admin.userId, kind: 'user', subject: ada, format: 'json', messages: parsed.messages.length },
        admin.userId,
      ],
      [
        'ExportMade',
        { adminId: admin.userId, kind: 'user', subject: ada, format: 'csv', messages: parsed.messages.length },
        admin.userId,
      ],
      [
        'ExportMade',
        { adminId: admin.userId, kind: 'trace', subject: register!.metadata.traceId, format: 'json', messages: 7 },
        admin.userId,
      ],
    ],
    'each export recorded once complete, with its count',
  );
});

test('admin exports: a category over a time range, as JSON lines and CSV; unknown subjects are a 404, bad forms a 400', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [exportsSection]);
  const post = (url: string, form: Record<string, string>) =>
    request(app)
      .post(url)
      .set('cookie', admin.cookie)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: CSRF_TOKEN, ...form });
  const category = uniqueCategory();
  const write = async (n: number) => {
    const position = await system.messageStore.write(
      `${category}-${n % 3}`,
      message('Tick', { n, note: `=HYPERLINK("x"), "quoted"\nline` }),
    );
    return (await system.messageStore.readStream(`${category}-${n % 3}`, { fromPosition: position, batchSize: 1 }))[0]!;
  };
  await write(0);
  await new Promise((resolve) => setTimeout(resolve, 30));
  const inRange = [await write(1), await write(2), await write(3)];
  await new Promise((resolve) => setTimeout(resolve, 30));
  const outside = await write(4);
  const ms = (time: Date) => time.toISOString().slice(0, 23);

  const lines = await post('/admin/exports/category', {
    category,
    from: ms(inRange[0]!.time),
    to: ms(outside.time),
    format: 'jsonl',
  }).expect(200);
  t.match(lines.headers['content-type'] ?? '', /^application\/x-ndjson/);
  const got = lines.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Exported);
  t.deepEqual(
    got.map((m) => (m.data as { n: number }).n),
    [1, 2, 3],
    'the messages in the range, in order',
  );

  const csv = await post('/admin/exports/category', { category, format: 'csv' }).expect(200);
  const rows = parseCsv(csv.text);
  t.equal(rows.length, 6, 'a header and all five without a range');
  t.deepEqual(
    JSON.parse(rows[1]![9]!),
    { n: 0, note: '=HYPERLINK("x"), "quoted"\nline' },
    'commas, quotes and line breaks survive the round trip',
  );
  t.equal(csvField('=1+1'), "'=1+1", 'a cell a spreadsheet would run as a formula is defused');

  const recorded = (await system.messageStore.readStream(adminActionsStreamName(admin.userId))).map(
    (m) => m.data as { kind: string; format: string; messages: number },
  );
  t.deepEqual(
    recorded.map((d) => [d.kind, d.format, d.messages]),
    [
      ['category', 'jsonl', 3],
      ['category', 'csv', 5],
    ],
    'both recorded with their counts',
  );

  t.equal(
    (await post('/admin/exports/user', { userId: randomUUID(), format: 'json' })).status,
    404,
    'a user with no messages → 404',
  );
  t.equal((await post('/admin/exports/trace', { traceId: randomUUID() })).status, 404, 'an unknown trace → 404');
  t.equal(
    (await post('/admin/exports/category', { category: uniqueCategory(), format: 'csv' })).status,
    404,
    'an empty category → 404',
  );
  for (const [url, form] of [
    ['/admin/exports/user', { userId: 'nope', format: 'json' }],
    ['/admin/exports/user', { userId: randomUUID(), format: 'xml' }],
    ['/admin/exports/trace', { traceId: '' }],
    ['/admin/exports/category', { category: 'has-dash', format: 'csv' }],
    ['/admin/exports/category', { category, format: 'csv', from: 'tomorrow' }],
  ] as const) {
    t.equal((await post(url, form)).status, 400, `${url} ${JSON.stringify(form)} → 400`);
  }
  t.equal(
    (await system.messageStore.readStream(adminActionsStreamName(admin.userId))).length,
    2,
    'refused exports are not recorded',
  );
});

test('admin exports: batches follow one another by keyset and stop at the head fixed at the start', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const category = uniqueCategory();
  for (let n = 0; n < 7; n += 1) await system.messageStore.write(`${category}-1`, message('Tick', { n }));
  const all = await system.messageStore.readStream(`${category}-1`);
  const upTo = all[5]!.globalPosition;
  const sizes: number[] = [];
  const seen: number[] = [];
  for await (const batch of exportBatches(
    system.messageStorePool,
    { condition: 'category(stream_name) = $1', values: [category], after: 0, upTo },
    2,
  )) {
    sizes.push(batch.length);
    seen.push(...batch.map((m) => (m.data as { n: number }).n));
  }
  t.deepEqual(sizes, [2, 2, 2], 'batches of the size asked');
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5], 'in order, none twice, none past the head');
});
