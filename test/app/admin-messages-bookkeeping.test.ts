import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { messagesSection } from '../../src/app/admin/messages/index.ts';
import type { Message } from '../../src/message-store/index.ts';
import { POSITION_CATEGORY } from '../../src/subscription/component-processor.ts';
import { adminSectionApp } from '../helpers/admin-section-app.ts';
import { uniqueCategory } from '../helpers/message-store.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const msg = (type: string, data: Record<string, unknown> = {}): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});

/** The global positions a page lists, in its order. */
const positionsOn = (html: string): number[] =>
  [...html.matchAll(/<td><a href="\/admin\/messages\/(\d+)">/g)].map((match) => Number(match[1]));

test('admin messages: subscribers’ position bookkeeping is hidden unless asked for, or filtered for by category or stream', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [messagesSection]);
  const store = system.messageStore;
  const category = uniqueCategory();
  const positionStream = `${POSITION_CATEGORY}-${category}:subscriber`;
  const before = await store.write(`${category}-1`, msg('Opened'));
  await store.write(positionStream, msg('Read', { position: 1 }));
  await store.write(`${category}-1`, msg('Closed'));
  const [opened, closed] = await store.readStream(`${category}-1`);
  const [read] = await store.readStream(positionStream);
  t.equal(before, 0, 'the test stream is new');
  // A cursor just above the newest of ours: the page starts at our messages whatever other tests write.
  const cursor = `before=${closed!.globalPosition + 1}`;
  const get = (query: string) => request(app).get(`/admin/messages?${query}`).set('cookie', admin.cookie).expect(200);

  const plain = await get(cursor);
  t.deepEqual(
    positionsOn(plain.text).slice(0, 2),
    [closed!.globalPosition, opened!.globalPosition],
    'by default the Read between them is left out',
  );
  t.match(plain.text, /<input[^>]*id="bookkeeping"[^>]*>/, 'the form offers the checkbox');
  t.doesNotMatch(/<input[^>]*id="bookkeeping"[^>]*>/.exec(plain.text)?.[0] ?? '', /checked/, 'unticked');
  t.match(plain.text, /<label for="bookkeeping">Show subscriber bookkeeping<\/label>/, 'with its label');

  const shown = await get(`${cursor}&bookkeeping=shown`);
  t.deepEqual(
    positionsOn(shown.text).slice(0, 3),
    [closed!.globalPosition, read!.globalPosition, opened!.globalPosition],
    'asked for, the Read is listed in its place',
  );
  t.match(/<input[^>]*id="bookkeeping"[^>]*>/.exec(shown.text)?.[0] ?? '', /checked/, 'and the box stays ticked');
  t.match(shown.text, /href="\/admin\/messages\?bookkeeping=shown"/, 'the link back to the newest keeps it');

  t.deepEqual(
    positionsOn((await get(`stream=${encodeURIComponent(positionStream)}`)).text),
    [read!.globalPosition],
    'filtering by its stream shows it without the box',
  );
  t.ok(
    positionsOn((await get(`category=${POSITION_CATEGORY}&${cursor}`)).text).includes(read!.globalPosition),
    'and so does filtering by its category',
  );

  const reads = await get(`type=Read&${cursor}`);
  t.notOk(positionsOn(reads.text).includes(read!.globalPosition), 'a search for Read leaves it out too');
  t.match(
    reads.text,
    /is hidden: tick “Show subscriber bookkeeping” to include it/,
    'and an empty page says why and what to do',
  );
});
