import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { liveSubscription } from '../../src/aggregators/definition.ts';
import { adminStreamsDefinition } from '../../src/aggregators/admin-streams/index.ts';
import { dashboardSection } from '../../src/app/admin/dashboard/index.ts';
import { homePageDefinition } from '../../src/aggregators/home-page/index.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import type { Message } from '../../src/message-store/index.ts';
import type { System } from '../../src/system.ts';
import { adminSectionApp } from '../helpers/admin-section-app.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { systemWithFailingSubscribers } from '../fixtures/failing-subscribers.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});

async function project(system: System): Promise<void> {
  await drain(
    liveSubscription(adminStreamsDefinition, {
      db: system.db,
      messageStore: system.messageStore,
      logger: silentLogger,
    }),
  );
  await drain(
    liveSubscription(homePageDefinition, { db: system.db, messageStore: system.messageStore, logger: silentLogger }),
  );
}

const total = (html: string, name: string): string | undefined =>
  new RegExp(`<td data-total="${name}">([^<]*)</td>`).exec(html)?.[1];
/** The text of one line of the audit block (verification, signed-head, state). */
const auditLine = (html: string, key = 'verification'): string | undefined =>
  new RegExp(`<p[^>]*data-audit-chain="${key}"[^>]*><span>([^<]*)</span>`).exec(html)?.[1];

test('admin dashboard: visitors are sent to log in, users get 403, admins see it', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin, user } = await adminSectionApp(system, [dashboardSection]);
  const visitor = await request(app).get('/admin');
  t.equal(visitor.status, 303, 'a visitor is redirected');
  t.match(visitor.headers.location ?? '', /^\/auth\/log-in/, 'to log in');
  t.equal((await request(app).get('/admin').set('cookie', user.cookie)).status, 403, 'a user without the role → 403');
  const page = await request(app).get('/admin').set('cookie', admin.cookie).expect(200);
  t.match(page.text, /<h1>Dashboard<\/h1>/, 'an admin sees the dashboard');
  t.equal(total(page.text, 'messages'), '0', 'of an empty store');
});

test('admin dashboard: totals and the last hour’s traffic from the admin-streams projection', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [dashboardSection]);
  const store = system.messageStore;
  for (let n = 0; n < 2; n += 1) {
    const userId = randomUUID();
    await store.write(
      identityStreamName(userId),
      event('Registered', { userId, email: uniqueEmail(), passwordHash: fakePasswordHash() }),
    );
  }
  const video = newVideo();
  await writeEvents(store, video, controls.accepted(video), controls.started(video));
  // One visitor three times within the window, and one viewing that names no visitor.
  const visitor = 'a-visitor-key-000000000';
  for (let n = 0; n < 3; n += 1)
    await store.write(
      viewingStreamName(video.videoId),
      event('VideoViewed', { videoId: video.videoId, userId: null, visitorKey: visitor }),
    );
  await store.write(viewingStreamName(video.videoId), event('VideoViewed', { videoId: video.videoId, userId: null }));
  await project(system);

  const page = (await request(app).get('/admin').set('cookie', admin.cookie).expect(200)).text;
  t.deepEqual(
    ['users', 'videos', 'viewings', 'counted-viewings', 'messages', 'streams'].map((name) => total(page, name)),
    ['2', '1', '4', '2', '8', '4'],
    'users, videos, viewings recorded and counted, messages and streams',
  );
  t.match(page, /8 messages in the last hour; the busiest minute had [1-8]\./, 'the last hour, minute by minute');
  t.equal([...page.matchAll(/<rect /g)].length, 60, 'sixty bars, one a minute');
  t.match(page, /<title>\d\d:\d\d UTC: [1-8] messages?<\/title>/, 'each bar says its minute and count');

  // Written after the projection last ran: the dashboard says it is catching up.
  await store.write(`${uniqueCategory()}-1`, message('Later'));
  t.match(
    (await request(app).get('/admin').set('cookie', admin.cookie)).text,
    /The counts are catching up/,
    'a projection behind the store is said to be',
  );
});

test('admin dashboard: admins within the page cache’s bound share one read of its figures; after it, the figures are read again', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const cacheMs = 250;
  let clock = 1_000_000;
  const { app, admin } = await adminSectionApp(system, [dashboardSection], {
    dashboardCacheMs: cacheMs,
    now: () => clock,
  });
  const page = async () => (await request(app).get('/admin').set('cookie', admin.cookie).expect(200)).text;
  const catchingUp = /The counts are catching up/;
  t.doesNotMatch(await page(), catchingUp, 'an empty store: nothing to catch up');

  await system.messageStore.write(`${uniqueCategory()}-1`, message('Later'));
  clock += cacheMs - 1;
  t.doesNotMatch(await page(), catchingUp, 'within the bound: the figures read before the write');
  clock += 1;
  t.match(await page(), catchingUp, 'at the bound: read again, the new message seen and the counts catching up');
});

test('admin dashboard: stalled subscribers and parked messages are counted and named', async (t) => {
  const { system, running, broken, failing } = await systemWithFailingSubscribers(t, {
    stallWith: 'the projection table is gone',
    parkWith: 'the mail server said no',
  });
  const store = system.messageStore;
  const { app, admin } = await adminSectionApp(system, [dashboardSection], {
    subscriptions: [...system.subscriptions, ...running],
    subscriberStatus: () => running.map((subscription) => subscription.status()),
  });
  await store.write(`${broken}-1`, message('Applied'));
  await store.write(`${failing}-1`, message('SendIt'));
  for (const subscription of running) subscription.start();
  await waitUntil(
    'the aggregator to stall and the component to park',
    () => running[0]!.status().state === 'stalled' && running[1]!.status().parked === 1,
  );

  const page = (await request(app).get('/admin').set('cookie', admin.cookie).expect(200)).text;
  t.match(page, /<strong data-stalled="1">1<\/strong> stalled/, 'one stalled');
  t.match(
    page,
    /<strong data-parked="1">1<\/strong> parked message waiting \(<a href="\/admin\/parked">Parked<\/a>\)/,
    'one parked',
  );
  t.match(
    page,
    /aggregators:test:stalls<\/code> is stalled at <a href="\/admin\/messages\/\d+">Applied<\/a>: Error: the projection table is gone/,
    'which, where and why',
  );
});

test('admin dashboard: the audit chain’s last verification (AuditChainVerified: when, by whom, up to where, the outcome) beside the newest signed head, whether or not the chain is installed', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { app, admin } = await adminSectionApp(system, [dashboardSection]);
  const page = async () => (await request(app).get('/admin').set('cookie', admin.cookie).expect(200)).text;
  const verifier = { adminId: randomUUID(), userId: null, label: 'cli:ann@audit-host', traceId: randomUUID() };
  const verified = (data: Partial<Record<string, unknown>>): Message => ({
    id: randomUUID(),
    type: 'AuditChainVerified',
    data: {
      adminId: verifier.adminId,
      by: verifier.label,
      ok: true,
      verdict: 'intact',
      upTo: 42,
      lastValidHead: 40,
      messages: 42,
      unsignedLinks: 2,
      problems: { altered: 0, inserted: 0, deleted: 0, forged: 0, 'unknown-key': 0, contradicted: 0, unsigned: 0 },
      firstProblem: null,
      ...data,
    },
    metadata: { traceId: verifier.traceId, userId: null },
  });

  let html = await page();
  t.equal(auditLine(html), 'last verified: never (run npm run audit:verify)', 'installed, never verified');
  t.equal(auditLine(html, 'signed-head'), 'newest signed head: none yet');

  await system.db('audit_chain_heads').insert({
    global_position: 41,
    link: Buffer.alloc(32),
    hmac: Buffer.alloc(32),
    key_id: 'k',
    signed_at: new Date(),
  });
  await system.messageStore.write(adminActionsStreamName(verifier.adminId), verified({}));
  html = await page();
  t.match(
    auditLine(html) ?? '',
    /^last verified: INTACT up to global position 42 \(42 messages, last valid signed head at 40\), \d{4}-\d\d-\d\d [\d:.]+ UTC, by cli:ann@audit-host$/,
    'when, by whom, up to where, the outcome',
  );
  t.match(
    html,
    /data-audit-chain="verification"[^>]*><span>[^<]*<\/span> · <a href="\/admin\/messages\/\d+">the record<\/a>/,
    'linked to the AuditChainVerified message',
  );
  t.match(
    auditLine(html, 'signed-head') ?? '',
    /^newest signed head: global position 41, signed \d{4}-.* \(as stored: only audit:verify, which holds the key, checks it\)$/,
    'the newest signed head beside it, said to be unchecked',
  );

  await system.messageStore.write(
    adminActionsStreamName(verifier.adminId),
    verified({
      ok: false,
      verdict: 'failed',
      lastValidHead: null,
      problems: { altered: 1, inserted: 0, deleted: 0, forged: 0, 'unknown-key': 0, contradicted: 0, unsigned: 1 },
      firstProblem: 'altered at global position 3 (test-1/0)',
    }),
  );
  t.match(
    auditLine(await page()) ?? '',
    /^last verified: FAILED up to global position 42 \(42 messages, no valid signed head; 2 problems, first: altered at global position 3 \(test-1\/0\)\), /,
    'the newest verification, failed',
  );

  await system.messageStore.write(adminActionsStreamName(verifier.adminId), verified({ verdict: 'unproven' }));
  t.match(
    auditLine(await page()) ?? '',
    /^last verified: CONSISTENT, NOT PROVEN \(heads signed with the public development key prove nothing\) up to/,
    'the development key is not shown as verified',
  );

  await system.messageStore.write(adminActionsStreamName(verifier.adminId), verified({ verdict: 'maybe' }));
  t.match(
    auditLine(await page()) ?? '',
    /^last verified: .* but its record does not read as AuditChainVerified$/,
    'a record that does not fit is not shown as a result',
  );

  await system.db.schema.dropTable('audit_chain_heads');
  t.equal(
    auditLine(await page(), 'state'),
    'audit chain: not installed on this database',
    'without its tables the page still works',
  );
});
