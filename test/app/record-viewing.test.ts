import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { HOME_PAGE_SUBSCRIBER_ID } from '../../src/aggregators/home-page/index.ts';
import { VIDEOS_SUBSCRIBER_IDS } from '../../src/aggregators/videos/index.ts';
import { createRecordViewingsQueries } from '../../src/app/record-viewings/queries.ts';
import { logIn, seedAccount } from '../helpers/accounts.ts';
import { csrfTokenOf, watchedCountOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { catalogVideo, videosWatched, viewingsApplied } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a browser sends with a form posted from one of the site's own pages. */
const FROM_THIS_SITE = { 'Sec-Fetch-Site': 'same-origin' } as const;
/** Behind a proxy the site trusts, each simulated visitor comes from its own address (198.18.0.0/15, for benchmarks). */
const BEHIND_PROXY = { trustProxy: ['loopback'] } as const;
const from = (address: string) => ({ ...FROM_THIS_SITE, 'X-Forwarded-For': address });

test('record a viewing: the event lands with its metadata and the home page count goes up', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const agent = request.agent(system.app);
  const home = await agent.get('/').expect(200);
  t.equal(watchedCountOf(home.text), 0, 'the home page starts at 0');
  t.equal(home.headers['set-cookie'], undefined, 'a visitor who has posted nothing gets no session cookie');

  const videoId = await catalogVideo(system.db);
  const posted = await agent.post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send({});
  t.match(String(posted.headers['set-cookie']), /httponly/i, 'the session cookie (for the notice) is httpOnly');
  t.match(String(posted.headers['set-cookie']), /samesite=lax/i, 'and sameSite');
  t.equal(posted.status, 303, 'post/redirect/get');
  t.equal(posted.headers.location, '/', 'back to the home page');

  const events = await system.messageStore.readStream(`viewing-${videoId}`);
  t.equal(events.length, 1, 'one event in viewing-<videoId>');
  const [event] = events;
  t.equal(event?.type, 'VideoViewed');
  const { visitorKey, ...data } = event?.data as { visitorKey?: unknown };
  t.deepEqual(data, { videoId, userId: null, source: 'api' }, 'data names the video and the (anonymous) viewer');
  t.match(String(visitorKey), /^[A-Za-z0-9_-]{22}$/, 'and a pseudonymous key for the visitor');
  t.equal(event?.metadata.schemaVersion, '3', 'as VideoViewed version 3');
  t.match(event?.metadata.traceId ?? '', UUID, 'metadata carries the request trace id');
  t.equal(event?.metadata.userId, null, 'and the user id');

  const redirectedTo = await agent.get('/').expect(200);
  t.match(redirectedTo.text, /Viewing recorded/, 'the page after the redirect says the viewing was recorded');

  const count = await waitUntil('the home page to count the viewing', async () => {
    const page = await agent.get('/').expect(200);
    return watchedCountOf(page.text) === 1 ? page : undefined;
  });
  t.match(count.text, /Viewers have watched <strong>1<\/strong> video\./, 'shows "watched 1 video"');
  t.doesNotMatch(count.text, /Viewing recorded/, 'the notice shows once');
});

test('record a viewing: back to the page the form was on, never to another site', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const videoId = await catalogVideo(system.db);
  const page = await request(system.app).get(`/videos/${videoId}?from=test`).expect(200);
  t.match(
    page.text,
    new RegExp(`name="returnTo" value="/videos/${videoId}\\?from=test"`),
    'the form says which page it is on',
  );
  const post = (fields: Record<string, string>) =>
    agent.post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send(fields);

  const back = await post({ returnTo: '/?from=test' });
  t.equal(back.status, 303);
  t.equal(back.headers.location, '/?from=test', 'a local path is where the browser goes back to');

  const hostile = [
    '//evil.example',
    'https://evil.example',
    '/\\evil',
    '/\\evil.example/x',
    'javascript:alert(1)',
    '/\t/evil.example',
    ' /x',
    'evil',
    '',
  ];
  for (const returnTo of hostile) {
    const response = await post({ returnTo });
    t.equal(response.headers.location, '/', `returnTo ${JSON.stringify(returnTo)} goes home`);
  }

  const refererOnly = await post({}).set('Referer', 'http://127.0.0.1/elsewhere');
  t.equal(refererOnly.headers.location, '/', 'without returnTo: home (the Referer is not used)');
});

test('record a viewing: bad input gets a clear 4xx page and writes nothing', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const agent = request.agent(system.app);
  const post = (path: string) => agent.post(path).set(FROM_THIS_SITE).type('form');

  const notUuid = await post('/record-viewing/not-a-video').send({});
  t.equal(notUuid.status, 400, 'a video id that is not a UUID is a 400');
  t.match(
    notUuid.text,
    /That link does not name a video\. Go back to the video’s page/,
    'with a page that says why and what to do',
  );

  const injection = await post(`/record-viewing/${encodeURIComponent("1' OR '1'='1")}`).send({});
  t.equal(injection.status, 400, 'hostile ids are just bad ids');

  const crossSite = await request(system.app)
    .post(`/record-viewing/${randomUUID()}`)
    .set('Sec-Fetch-Site', 'cross-site');
  t.equal(crossSite.status, 403, 'a form posted from another site is refused');
  t.match(crossSite.text, /expired or did not come from this site/);
  const otherOrigin = await request(system.app)
    .post(`/record-viewing/${randomUUID()}`)
    .set('Origin', 'https://evil.example');
  t.equal(otherOrigin.status, 403, 'so is one whose Origin is another site');
  const unknown = await request(system.app).post(`/record-viewing/${randomUUID()}`);
  t.equal(unknown.status, 403, 'and one that says nothing of where it came from');

  const huge = await post(`/record-viewing/${randomUUID()}`).send({ pad: 'x'.repeat(64 * 1024) });
  t.equal(huge.status, 413, 'an oversized body is refused');

  t.equal((await system.messageStore.readCategory('viewing')).length, 0, 'nothing was written');

  const videoId = await catalogVideo(system.db);
  await post(`/record-viewing/${videoId.toUpperCase()}`).send({}).expect(303);
  t.equal(
    (await system.messageStore.readStream(`viewing-${videoId}`)).length,
    1,
    'an upper-case UUID is one video, stored lower-case',
  );
});

test('site: 404 page, security headers and health', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const missing = await request(system.app).get('/no/such/page');
  t.equal(missing.status, 404);
  t.match(missing.text, /Page not found/, 'a real 404 page');
  t.match(missing.text, /href="\/public\/css\/site.css"/, 'in the site layout');

  const home = await request(system.app).get('/').expect(200);
  t.match(home.headers['content-security-policy'] ?? '', /script-src 'self'/, 'a CSP without inline scripts');
  t.equal(home.headers['x-powered-by'], undefined, 'no framework advertising');

  const css = await request(system.app).get('/public/css/site.css').expect(200);
  t.match(css.headers['content-type'] ?? '', /text\/css/, 'the stylesheet is served locally');

  t.deepEqual((await request(system.app).get('/health').expect(200)).body, { status: 'ok' }, '/health');
});

test('record a viewing: a video that is not published is refused with a 404 page, and nothing is written', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const post = (videoId: string) =>
    request(system.app).post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send({});
  const cases = [
    ['a video id nobody has used', randomUUID()],
    ['a video taken down', await catalogVideo(system.db, { status: 'unpublished' })],
    [
      'a draft (seen by its creator alone, it has no viewers to count)',
      await catalogVideo(system.db, { visibility: 'draft' }),
    ],
    ['a deleted video', await catalogVideo(system.db, { status: 'deleted' })],
  ] as const;
  for (const [what, videoId] of cases) {
    const refused = await post(videoId);
    t.equal(refused.status, 404, `${what}: 404`);
    t.match(refused.text, /no published video here/i, 'a page that says so in plain words');
  }
  t.equal((await system.messageStore.readCategory('viewing')).length, 0, 'no viewing was written');
});

test('record a viewing: one address gets a limited number per window (429 with Retry-After and a plain message); another address is not held up', async (t) => {
  const system = await createTestSystem({
    ...BEHIND_PROXY,
    rateLimits: {
      viewingsPerAddress: { points: 3, windowSeconds: 600 },
    },
  });
  closeAtEnd(t, () => system.stop());
  const videoId = await catalogVideo(system.db);
  const post = (address: string) =>
    request(system.app).post(`/record-viewing/${videoId}`).set(from(address)).type('form').send({});
  for (let n = 0; n < 3; n += 1)
    t.equal((await post('198.18.0.1')).status, 303, `viewing ${n + 1} of 3 from one address is taken`);
  const refused = await post('198.18.0.1');
  t.equal(refused.status, 429, 'the fourth within the window is refused');
  const retryAfter = Number(refused.headers['retry-after']);
  t.ok(retryAfter > 0 && retryAfter <= 600, `Retry-After says when to try again (${retryAfter} s)`);
  t.match(refused.text, /Too many viewings from your network/, 'a plain message');
  t.match(refused.text, /Try again in 10 minutes/, 'saying how long');
  t.equal((await system.messageStore.readStream(`viewing-${videoId}`)).length, 3, 'and nothing written for it');
  t.equal((await post('198.18.0.2')).status, 303, 'another address still records');
  t.equal(
    (await request(system.app).post(`/record-viewing/${randomUUID()}`).set(from('198.18.0.1')).type('form').send({}))
      .status,
    429,
    'refusals of unknown videos count too: probing ids costs the same',
  );
});

test('record a viewing: the event names the visitor by a keyed hash of their address or log-in, never the address or session itself', async (t) => {
  const system = await createTestSystem(BEHIND_PROXY);
  closeAtEnd(t, () => system.stop());
  const videoId = await catalogVideo(system.db);
  const keyOf = async (
    agent: ReturnType<typeof request.agent> | ReturnType<typeof request>,
    address: string,
    fields: Record<string, string> = {},
  ) => {
    await agent.post(`/record-viewing/${videoId}`).set(from(address)).type('form').send(fields).expect(303);
    const viewings = await system.messageStore.readStream(`viewing-${videoId}`);
    return viewings.at(-1)!;
  };
  const first = await keyOf(request(system.app), '198.18.0.7');
  const again = await keyOf(request(system.app), '198.18.0.7');
  const other = await keyOf(request(system.app), '198.18.0.8');
  const keyIn = (viewing: typeof first) => (viewing.data as { visitorKey: string }).visitorKey;
  t.equal(keyIn(first), keyIn(again), 'the same address is the same visitor');
  t.notEqual(keyIn(first), keyIn(other), 'another address is another visitor');
  t.doesNotMatch(JSON.stringify([first, again, other]), /198\.18\.0\.[78]/, 'the address is nowhere in the events');
  const [v6, v6Neighbour] = [
    await keyOf(request(system.app), '2001:db8:0:1::17'),
    await keyOf(request(system.app), '2001:db8:0:1:aaaa::2'),
  ];
  t.equal(keyIn(v6), keyIn(v6Neighbour), 'an IPv6 /64 is one visitor, as one subscriber picks addresses from it');

  const account = await seedAccount(system.db);
  const laptop = request.agent(system.app);
  t.equal((await logIn(laptop, account.email, account.password)).status, 303, 'logged in');
  const _csrf = csrfTokenOf(await laptop.get('/').expect(200));
  const atHome = await keyOf(laptop, '198.18.0.7', { _csrf });
  const elsewhere = await keyOf(laptop, '198.18.0.9', { _csrf });
  t.equal(
    (atHome.data as { userId: string }).userId,
    account.userId,
    'a logged-in viewer is named by their user id, as before',
  );
  t.equal(keyIn(atHome), keyIn(elsewhere), 'and known by their account, wherever they are');
  t.notEqual(keyIn(atHome), keyIn(first), 'which is not their address');
});

test('record a viewing: the counts take one viewing per visitor per video per window; the store keeps every one', async (t) => {
  const system = await createTestSystem(BEHIND_PROXY);
  closeAtEnd(t, () => system.stop());
  system.start();
  const videoId = await catalogVideo(system.db);
  const post = (address: string) =>
    request(system.app).post(`/record-viewing/${videoId}`).set(from(address)).type('form').send({}).expect(303);
  await post('198.18.0.1');
  await post('198.18.0.1');
  await post('198.18.0.2');
  await waitUntil('the counts to take in every viewing', () =>
    viewingsApplied(system.db, system.messageStorePool, [HOME_PAGE_SUBSCRIBER_ID, VIDEOS_SUBSCRIBER_IDS.views]),
  );
  t.equal((await system.messageStore.readStream(`viewing-${videoId}`)).length, 3, 'three viewings recorded');
  t.equal(await videosWatched(system.db), 2, 'the home page counts two: the first visitor once, the second once');
  const views = await request(system.app).get(`/videos/${videoId}/views`).expect(200);
  t.deepEqual(views.body, { views: 2 }, "so does the video's own count");
  t.equal(watchedCountOf((await request(system.app).get('/').expect(200)).text), 2, 'as the home page shows');
});

test('record a viewing: a logged-in viewer is one visitor however many times they log out and in, and in however many browsers', async (t) => {
  const system = await createTestSystem(BEHIND_PROXY);
  closeAtEnd(t, () => system.stop());
  system.start();
  const videoId = await catalogVideo(system.db);
  const account = await seedAccount(system.db);
  // Logging in is free to repeat: each log-in is a new session, and must not be a new visitor.
  for (let n = 0; n < 3; n += 1) {
    const browser = request.agent(system.app);
    t.equal((await logIn(browser, account.email, account.password)).status, 303, `log-in ${n + 1}`);
    const _csrf = csrfTokenOf(await browser.get('/').expect(200));
    await browser.post(`/record-viewing/${videoId}`).set(from('198.18.0.20')).type('form').send({ _csrf }).expect(303);
    if (n < 2)
      await browser
        .post('/auth/log-out')
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: csrfTokenOf(await browser.get('/auth/log-out').expect(200)) })
        .expect(303);
  }
  await waitUntil('the counts to take in every viewing', () =>
    viewingsApplied(system.db, system.messageStorePool, [HOME_PAGE_SUBSCRIBER_ID, VIDEOS_SUBSCRIBER_IDS.views]),
  );
  const keys = new Set(
    (await system.messageStore.readStream(`viewing-${videoId}`)).map(
      (viewing) => (viewing.data as { visitorKey: string }).visitorKey,
    ),
  );
  t.equal(keys.size, 1, 'three viewings in three sessions name one visitor');
  t.equal(await videosWatched(system.db), 1, 'and the home page counts one');
  t.deepEqual(
    (await request(system.app).get(`/videos/${videoId}/views`).expect(200)).body,
    { views: 1 },
    "as does the video's own count",
  );
});

test('record a viewing: a video seen published is not looked up again for a second; one not yet published is looked up every time', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  let now = 1_000_000;
  const queries = createRecordViewingsQueries(system.db, () => now);
  const videoId = await catalogVideo(system.db);
  t.equal(await queries.isPublished(videoId), true, 'published');
  await system.db('videos').where({ video_id: videoId }).update({ status: 'unpublished' });
  now += 999;
  t.equal(
    await queries.isPublished(videoId),
    true,
    'taken down, but within the second it was seen published: still taken (no read)',
  );
  now += 1;
  t.equal(await queries.isPublished(videoId), false, 'a second on: read again, and refused');

  const later = randomUUID();
  t.equal(await queries.isPublished(later), false, 'not in the catalog yet');
  await catalogVideo(system.db, { videoId: later });
  t.equal(
    await queries.isPublished(later),
    true,
    'published a moment later: taken at once, a refusal is never remembered',
  );
});
