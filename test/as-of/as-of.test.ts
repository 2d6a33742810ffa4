import { randomUUID } from 'node:crypto';
import pg from 'pg';
import test from 'tape';
import { authenticationStreamName } from '../../src/contracts/authentication.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import {
  catalogCountsAsOf,
  changesBetween,
  entityAsOf,
  ENTITY_KINDS,
  messagesBetween,
  parsePoint,
  type Field,
  type Point,
} from '../../src/as-of/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { Message, MessageStore } from '../../src/message-store/index.ts';
import { controls, newVideo } from '../fixtures/catalog-events.ts';
import { fakePasswordHash } from '../fixtures/identity-controls.ts';
import { openTestStore } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/**
 * Writes `message` and dates it `time`, as if written then. Dating takes the server's superuser:
 * the message_store role the store connects with may not change a message.
 */
async function writeAt(
  store: MessageStore,
  superuser: pg.Client,
  stream: string,
  message: Message,
  time: string,
): Promise<number> {
  await store.write(stream, message);
  const result = await superuser.query<{ global_position: string }>(
    `UPDATE message_store.messages SET time = $2 WHERE id = $1 RETURNING global_position`,
    [message.id, time],
  );
  return Number(result.rows[0]!.global_position);
}

async function openSuperuser(scope: Scope, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return scope.add(client, (c) => c.end());
}

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});
const at = (text: string): Point => parsePoint(text)!;
const valueOf = (fields: readonly Field[], label: string) => fields.find((field) => field.label === label)?.value;

test('as of: points are positions, dates (the whole day) or times (UTC unless they say otherwise)', (t) => {
  t.deepEqual(parsePoint('42'), { kind: 'position', globalPosition: 42 });
  t.deepEqual(
    parsePoint(' 2026-11-24 '),
    { kind: 'time', time: new Date('2026-11-24T23:59:59.999Z') },
    'a date is the end of that day',
  );
  t.deepEqual(
    parsePoint('2026-11-24T10:30'),
    { kind: 'time', time: new Date('2026-11-24T10:30:00Z') },
    'a time without a zone is UTC',
  );
  t.deepEqual(parsePoint('2026-11-24 10:30:15'), { kind: 'time', time: new Date('2026-11-24T10:30:15Z') });
  t.deepEqual(
    parsePoint('2026-11-24T10:30:00+02:00'),
    { kind: 'time', time: new Date('2026-11-24T08:30:00Z') },
    'one with a zone is read in it',
  );
  for (const bad of ['', 'yesterday', '2026-02-31', '-1', '1e3', '2026-11-24T25:00'])
    t.equal(parsePoint(bad), undefined, `${JSON.stringify(bad)} is no point`);
  t.end();
});

scopedTest('as of: a user at three points of their streams, and what changed between two', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const pool = await openSuperuser(scope, urls.messageStoreUrl);
  const userId = randomUUID();
  const identity = identityStreamName(userId);
  const p1 = await writeAt(
    store,
    pool,
    identity,
    event('Registered', { userId, email: 'alice@example.com', passwordHash: fakePasswordHash() }),
    '2026-11-20 09:00:00',
  );
  const p2 = await writeAt(
    store,
    pool,
    authenticationStreamName(userId),
    event('UserLoggedIn', { userId }),
    '2026-11-21 10:00:00',
  );
  const p3 = await writeAt(
    store,
    pool,
    identity,
    event('AdminRoleGranted', { userId, by: 'cli:ops@host' }),
    '2026-11-22 11:00:00',
  );
  await writeAt(
    store,
    pool,
    authenticationStreamName(userId),
    event('UserLoginFailed', { userId, reason: 'wrong password' }),
    '2026-11-23 12:00:00',
  );

  const asOf = await entityAsOf(store, ENTITY_KINDS.user!, userId, [at(String(p1)), at(String(p2)), at(String(p3))]);
  const [first, second, third] = asOf!.snapshots;
  t.equal(valueOf(first!.state.fields, 'Registered'), 'yes, 2026-11-20 09:00:00 UTC', 'at the first point: registered');
  t.equal(valueOf(first!.state.fields, 'Email'), 'a•••@example.com', 'the email masked, as on every admin page');
  t.equal(valueOf(first!.state.fields, 'Log-ins'), '0', 'not logged in yet');
  t.equal(valueOf(first!.state.fields, 'Roles'), 'none');
  t.equal(valueOf(second!.state.fields, 'Log-ins'), '1', 'at the second: one log-in');
  t.equal(valueOf(second!.state.fields, 'Last log-in'), '2026-11-21 10:00:00 UTC');
  t.equal(valueOf(second!.state.fields, 'Roles'), 'none', 'not an admin yet');
  t.equal(valueOf(third!.state.fields, 'Roles'), 'admin', 'at the third: an admin');
  t.equal(valueOf(third!.state.fields, 'Failed log-ins'), '0', 'the later failed log-in is not in it');
  t.deepEqual([first!.messages, second!.messages, third!.messages], [1, 2, 3], 'each folds its messages and no more');
  t.equal(third!.last?.type, 'AdminRoleGranted', 'and says which was the last');

  const byDate = await entityAsOf(store, ENTITY_KINDS.user!, userId, [
    at('2026-11-19'),
    at('2026-11-21'),
    at('2026-11-23T00:00'),
  ]);
  t.deepEqual(
    byDate!.snapshots.map((snapshot) => [
      snapshot.state.exists,
      valueOf(snapshot.state.fields, 'Log-ins'),
      valueOf(snapshot.state.fields, 'Roles'),
    ]),
    [
      [false, '0', 'none'],
      [true, '1', 'none'],
      [true, '1', 'admin'],
    ],
    'by time: nothing before it registered; a date includes that whole day',
  );

  const changes = changesBetween(first!.state.fields, third!.state.fields);
  t.deepEqual(
    changes,
    [
      { label: 'Roles', before: 'none', after: 'admin' },
      { label: 'Log-ins', before: '0', after: '1' },
      { label: 'Last log-in', before: '—', after: '2026-11-21 10:00:00 UTC' },
    ],
    'what changed between the first and third points',
  );
  const between = await messagesBetween(store, ENTITY_KINDS.user!, userId, at(String(p1)), at(String(p3)));
  t.deepEqual(
    between.listed.map((message) => message.type),
    ['UserLoggedIn', 'AdminRoleGranted'],
    'and the messages that changed it',
  );
  t.equal(
    await entityAsOf(store, ENTITY_KINDS.user!, randomUUID(), [at(String(p3))]),
    undefined,
    'a user with no messages is no user',
  );
});

scopedTest('as of: a video with its viewings, and the catalog counts as of a date', async (t, scope) => {
  const { store, pool: storePool, urls } = await openTestStore(scope);
  const superuser = await openSuperuser(scope, urls.messageStoreUrl);
  const video = newVideo();
  const other = newVideo();
  const publishing = `videoPublishing-${video.videoId}`;
  await writeAt(store, superuser, publishing, controls.accepted(video), '2026-11-20 09:00:00');
  await writeAt(store, superuser, publishing, controls.published(video), '2026-11-21 09:00:00');
  await writeAt(store, superuser, publishing, controls.named(video, 'Streams'), '2026-11-21 09:05:00');
  await writeAt(store, superuser, `videoPublishing-${other.videoId}`, controls.accepted(other), '2026-11-21 10:00:00');
  await writeAt(store, superuser, `videoPublishing-${other.videoId}`, controls.published(other), '2026-11-22 10:00:00');
  // A version 1 viewing (written before viewings said where they came from), then a version 2 one.
  const legacy = randomUUID();
  await storePool.query(`SELECT write_message($1, $2, 'VideoViewed', $3)`, [
    legacy,
    viewingStreamName(video.videoId),
    JSON.stringify({ videoId: video.videoId, userId: null }),
  ]);
  await superuser.query(`UPDATE message_store.messages SET time = '2026-11-21 12:00:00' WHERE id = $1`, [legacy]);
  await writeAt(
    store,
    superuser,
    viewingStreamName(video.videoId),
    event('VideoViewed', { videoId: video.videoId, userId: null, source: 'button' }),
    '2026-11-22 12:00:00',
  );
  // Version 3: one visitor three times, the last after the window.
  for (const time of ['2026-11-22 13:00:00', '2026-11-22 13:10:00', '2026-11-22 13:40:00']) {
    await writeAt(
      store,
      superuser,
      viewingStreamName(video.videoId),
      event('VideoViewed', { videoId: video.videoId, userId: null, source: 'watch-page', visitorKey: 'visitor-a' }),
      time,
    );
  }
  await writeAt(store, superuser, publishing, controls.unpublished(video), '2026-11-23 09:00:00');

  const asOf = await entityAsOf(store, ENTITY_KINDS.video!, video.videoId, [
    at('2026-11-20'),
    at('2026-11-21'),
    at('2026-11-23'),
  ]);
  const shown = (snapshot: { state: { fields: readonly Field[] } }) =>
    ['Status', 'Visibility', 'Name', 'Viewings recorded', 'Viewings counted'].map((label) =>
      valueOf(snapshot.state.fields, label),
    );
  t.deepEqual(
    asOf!.snapshots.map(shown),
    [
      ['uploaded', 'public', '(untitled)', '0', '0'],
      ['published', 'public', 'Streams', '1 (unknown 1)', '1'],
      ['published', 'draft', 'Streams', '5 (button 1, unknown 1, watch-page 3)', '4'],
    ],
    'uploaded, then published and named with an old viewing, then unpublished (a draft now) with new ones (by source), counted as the site counts',
  );
  const tighter = await entityAsOf(store, ENTITY_KINDS.video!, video.videoId, [at('2026-11-23')], {
    viewingCountWindowMs: 5 * 60_000,
  });
  t.equal(valueOf(tighter!.snapshots[0]!.state.fields, 'Viewings counted'), '5', 'by the window the site is given');

  const counts = await Promise.all(
    ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'].map((day) => catalogCountsAsOf(storePool, at(day))),
  );
  t.deepEqual(
    counts,
    [
      { publishedVideos: 0, views: 0 },
      { publishedVideos: 1, views: 1 },
      { publishedVideos: 2, views: 5 },
      { publishedVideos: 1, views: 5 },
    ],
    'published videos and viewings recorded, day by day',
  );
});
