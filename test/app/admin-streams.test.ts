import request from 'supertest';
import test from 'tape';
import { liveSubscription } from '../../src/aggregators/definition.ts';
import { adminStreamsDefinition } from '../../src/aggregators/admin-streams/index.ts';
import { streamsSection } from '../../src/app/admin/streams/index.ts';
import type { System } from '../../src/system.ts';
import { adminSectionApp, checkAdminOnly } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

async function project(system: System): Promise<void> {
  await drain(
    liveSubscription(adminStreamsDefinition, {
      db: system.db,
      messageStore: system.messageStore,
      logger: silentLogger,
    }),
  );
}

const decode = (text: string): string => text.replaceAll('&amp;', '&');
const streamsOn = (html: string): string[] =>
  [...html.matchAll(/<td><a href="\/admin\/messages\?stream=([^"]+)">/g)].map((match) => decodeURIComponent(match[1]!));
const nextLink = (html: string): string | undefined => {
  const href = /<a class="button" href="([^"]+)" rel="next">/.exec(html)?.[1];
  return href && decode(href);
};
/** The cells of each row of the page's table. */
const rowsOn = (html: string): string[][] =>
  [...html.matchAll(/<tr>(.*?)<\/tr>/g)]
    .slice(1)
    .map((row) => [...row[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, '')));

test('admin streams: visitors are sent to log in, users get 403, admins see streams, categories and types', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const section = await adminSectionApp(system, [streamsSection]);
  await checkAdminOnly(t, section, [
    '/admin/streams',
    '/admin/streams/categories',
    '/admin/streams/types',
    '/admin/streams?category=identity',
  ]);
});

test('admin streams: the most recently written first, in keyset pages, filtered by category; categories and types with counts', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [streamsSection]);
  const [busy, quiet] = [uniqueCategory('busy'), uniqueCategory('quiet')];
  const written: string[] = [];
  for (let n = 0; n < 55; n += 1) {
    const stream = `${busy}-${n}`;
    await system.messageStore.write(stream, message(n % 2 === 0 ? 'Opened' : 'Closed'));
    written.push(stream);
  }
  await system.messageStore.write(`${busy}-0`, message('Closed'));
  await system.messageStore.write(`${quiet}:command-1`, message('Do'));
  await project(system);

  const first = await request(app).get(`/admin/streams?category=${busy}`).set('cookie', admin.cookie).expect(200);
  const newestFirst = [`${busy}-0`, ...[...written].reverse().filter((stream) => stream !== `${busy}-0`)];
  t.deepEqual(streamsOn(first.text), newestFirst.slice(0, 50), 'fifty, the stream written last first');
  t.deepEqual(
    rowsOn(first.text)[0]?.slice(1, 4),
    [busy, '2', '1'],
    'with its category, message count and last position',
  );
  const second = await request(app).get(nextLink(first.text)!).set('cookie', admin.cookie).expect(200);
  t.deepEqual(streamsOn(second.text), newestFirst.slice(50), 'then the rest, in the same category');

  const all = await request(app).get('/admin/streams').set('cookie', admin.cookie).expect(200);
  t.equal(streamsOn(all.text)[0], `${quiet}:command-1`, 'unfiltered, every category');

  const categories = await request(app).get('/admin/streams/categories').set('cookie', admin.cookie).expect(200);
  t.deepEqual(
    rowsOn(categories.text).map((cells) => cells.slice(0, 3)),
    [
      [busy, '56', '55'],
      [`${quiet}:command`, '1', '1'],
    ],
    'each category with its messages and streams',
  );
  const types = await request(app).get(`/admin/streams/types?category=${busy}`).set('cookie', admin.cookie).expect(200);
  t.deepEqual(
    rowsOn(types.text).map((cells) => cells.slice(0, 3)),
    [
      [busy, 'Closed', '28'],
      [busy, 'Opened', '28'],
    ],
    'its message types with counts',
  );
});

test('admin streams: a category that cannot be one, or a broken page link, is a 400', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [streamsSection]);
  for (const url of [
    '/admin/streams?category=no-dashes',
    '/admin/streams?before=x',
    '/admin/streams/types?after=%%%',
    '/admin/streams/types?category=a-b',
  ]) {
    t.equal((await request(app).get(url).set('cookie', admin.cookie)).status, 400, url);
  }
  t.equal(
    (await request(app).get('/admin/streams?category=nothingHere').set('cookie', admin.cookie)).status,
    200,
    'a category with no streams is an empty list',
  );
});
