import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { watchedCountOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a browser sends with a form posted from one of the site's own pages. */
const FROM_THIS_SITE = { 'Sec-Fetch-Site': 'same-origin' } as const;

test('record a viewing: the event lands with its metadata and the home page count goes up', async (t) => {
  const system = await createTestSystem();
  system.start();
  try {
    const agent = request.agent(system.app);
    const home = await agent.get('/').expect(200);
    t.equal(watchedCountOf(home.text), 0, 'the home page starts at 0');
    t.equal(home.headers['set-cookie'], undefined, 'a visitor who has posted nothing gets no session cookie');

    const videoId = randomUUID();
    const posted = await agent.post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send({});
    t.match(String(posted.headers['set-cookie']), /httponly/i, 'the session cookie (for the notice) is httpOnly');
    t.match(String(posted.headers['set-cookie']), /samesite=lax/i, 'and sameSite');
    t.equal(posted.status, 303, 'post/redirect/get');
    t.equal(posted.headers.location, '/', 'back to the home page');

    const events = await system.messageStore.readStream(`viewing-${videoId}`);
    t.equal(events.length, 1, 'one event in viewing-<videoId>');
    const [event] = events;
    t.equal(event?.type, 'VideoViewed');
    t.deepEqual(event?.data, { videoId, userId: null, source: 'api' }, 'data names the video and the (anonymous) viewer');
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
  } finally {
    await system.stop();
  }
});

test('record a viewing: back to the page the form was on, never to another site', async (t) => {
  const system = await createTestSystem();
  try {
    const agent = request.agent(system.app);
    const home = await agent.get('/?from=test').expect(200);
    t.match(home.text, /name="returnTo" value="\/\?from=test"/, 'the form says which page it is on');
    const post = (fields: Record<string, string>) => agent.post(`/record-viewing/${randomUUID()}`).set(FROM_THIS_SITE).type('form').send(fields);

    const back = await post({ returnTo: '/?from=test' });
    t.equal(back.status, 303);
    t.equal(back.headers.location, '/?from=test', 'a local path is where the browser goes back to');

    const hostile = ['//evil.example', 'https://evil.example', '/\\evil', '/\\evil.example/x', 'javascript:alert(1)', '/\t/evil.example', ' /x', 'evil', ''];
    for (const returnTo of hostile) {
      const response = await post({ returnTo });
      t.equal(response.headers.location, '/', `returnTo ${JSON.stringify(returnTo)} goes home`);
    }

    const refererOnly = await post({}).set('Referer', 'http://127.0.0.1/elsewhere');
    t.equal(refererOnly.headers.location, '/', 'without returnTo: home (the Referer is not used)');
  } finally {
    await system.stop();
  }
});

test('record a viewing: bad input gets a clear 4xx page and writes nothing', async (t) => {
  const system = await createTestSystem();
  try {
    const agent = request.agent(system.app);
    const post = (path: string) => agent.post(path).set(FROM_THIS_SITE).type('form');

    const notUuid = await post('/record-viewing/not-a-video').send({});
    t.equal(notUuid.status, 400, 'a video id that is not a UUID is a 400');
    t.match(notUuid.text, /video ids are UUIDs/, 'with a page that says why');

    const injection = await post(`/record-viewing/${encodeURIComponent("1' OR '1'='1")}`).send({});
    t.equal(injection.status, 400, 'hostile ids are just bad ids');

    const crossSite = await request(system.app).post(`/record-viewing/${randomUUID()}`).set('Sec-Fetch-Site', 'cross-site');
    t.equal(crossSite.status, 403, 'a form posted from another site is refused');
    t.match(crossSite.text, /expired or did not come from this site/);
    const otherOrigin = await request(system.app).post(`/record-viewing/${randomUUID()}`).set('Origin', 'https://evil.example');
    t.equal(otherOrigin.status, 403, 'so is one whose Origin is another site');
    const unknown = await request(system.app).post(`/record-viewing/${randomUUID()}`);
    t.equal(unknown.status, 403, 'and one that says nothing of where it came from');

    const huge = await post(`/record-viewing/${randomUUID()}`).send({ pad: 'x'.repeat(64 * 1024) });
    t.equal(huge.status, 413, 'an oversized body is refused');

    t.equal((await system.messageStore.readCategory('viewing')).length, 0, 'nothing was written');

    const upper = randomUUID().toUpperCase();
    await post(`/record-viewing/${upper}`).send({}).expect(303);
    t.equal((await system.messageStore.readStream(`viewing-${upper.toLowerCase()}`)).length, 1, 'an upper-case UUID is one video, stored lower-case');
  } finally {
    await system.stop();
  }
});

test('site: 404 page, security headers and health', async (t) => {
  const system = await createTestSystem();
  try {
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
  } finally {
    await system.stop();
  }
});
