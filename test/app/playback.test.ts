import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { RESUME_FROM_SECONDS, WATCHED_FRACTION } from '../../src/app/playback/queries.ts';
import { playbackStreamName } from '../../src/contracts/playback.ts';
import { isSealed } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { seedAccount, type Account } from '../helpers/accounts.ts';
import { registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { cookieBrowser, type CookieBrowser } from '../helpers/cookie-browser.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { catalogVideo } from '../helpers/viewings.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

async function started(t: test.Test, overrides: Parameters<typeof createTestSystem>[0] = {}): Promise<System> {
  const system = await createTestSystem(overrides);
  closeAtEnd(t, () => system.stop());
  system.start();
  return system;
}

async function loggedIn(system: System, account?: Account): Promise<{ browser: CookieBrowser; account: Account }> {
  const who = account ?? (await seedAccount(system.db));
  const browser = cookieBrowser(system.app);
  await browser.logIn(who.email, who.password);
  return { browser, account: who };
}

/** Opens the watch page and reports a place in it as its player does. */
async function report(
  browser: CookieBrowser,
  videoId: string,
  positionSeconds: number | string,
  durationSeconds: number | string = 600,
  extra = {},
) {
  const page = await browser.get(`/videos/${videoId}`);
  return browser.post(`/playback/${videoId}`, {
    _csrf: csrfTokenOf(page),
    positionSeconds: String(positionSeconds),
    durationSeconds: String(durationSeconds),
    ...extra,
  });
}

const reportsOf = async (system: System, userId: string) => system.messageStore.readStream(playbackStreamName(userId));

async function positionApplied(
  system: System,
  userId: string,
  videoId: string,
  positionSeconds: number,
): Promise<void> {
  await waitUntil(
    `the position ${positionSeconds} of ${videoId} applied`,
    async () =>
      (await system.db('playback_positions').where({ user_id: userId, video_id: videoId }).first('position_seconds'))
        ?.position_seconds === positionSeconds,
  );
}

test('playback: a viewer’s report lands in their own stream, its video sealed; the watch page then offers to resume there', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const videoId = await catalogVideo(system.db);
  const before = await browser.get(`/videos/${videoId}`);
  t.match(
    before.text,
    new RegExp(`data-playback="/playback/${videoId}"`),
    'the watch page tells its player where to report',
  );
  t.match(before.text, /src="\/public\/js\/playback\.js"/, 'from a script file (no inline script)');
  t.doesNotMatch(before.text, /Resume at/, 'nothing to resume yet');

  const posted = await report(browser, videoId.toUpperCase(), 192.4, 600);
  t.equal(posted.status, 204, 'a report is answered with no content');
  const [event, ...more] = await reportsOf(system, account.userId);
  t.equal(more.length, 0, 'one event');
  t.equal(event?.type, 'PlaybackProgressed');
  const data = event?.data as Record<string, unknown>;
  t.deepEqual(
    [data.userId, data.positionSeconds, data.durationSeconds],
    [account.userId, 192.4, 600],
    'naming the viewer and the place',
  );
  t.ok(isSealed(data.videoId), 'the video is sealed with the viewer’s key');
  t.notOk(JSON.stringify(event).includes(videoId), 'and named nowhere in the clear');
  t.equal(event?.metadata.userId, account.userId, 'metadata names the viewer');

  await positionApplied(system, account.userId, videoId, 192.4);
  const page = await browser.get(`/videos/${videoId}`);
  t.match(page.text, /<button[^>]*data-resume-at="192"[^>]*>Resume at 3:12<\/button>/, 'a button resumes at 3:12');
  t.match(page.text, /<button[^>]*data-start-over[^>]*>Start over<\/button>/, 'another starts over');
  t.match(
    page.text,
    /data-resume-offer hidden/,
    'hidden until the script can act on them: without it the video plays from the start',
  );

  const visitor = await request(system.app).get(`/videos/${videoId}`);
  t.doesNotMatch(
    visitor.text,
    /data-playback|Resume at|playback\.js/,
    'a visitor who is not logged in is offered nothing and reports nothing',
  );
  const other = await loggedIn(system);
  t.doesNotMatch(
    (await other.browser.get(`/videos/${videoId}`)).text,
    /Resume at/,
    'another viewer is not offered someone else’s place',
  );
});

test('playback: only the caller’s own progress is written, from the session; anonymous reports and forged ones are refused', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const bob = await seedAccount(system.db);
  const videoId = await catalogVideo(system.db);

  await report(browser, videoId, 30, 600, { userId: bob.userId }).then((answer) =>
    t.equal(answer.status, 204, 'a report naming someone else in its body'),
  );
  t.equal((await reportsOf(system, account.userId)).length, 1, 'is written to the caller’s own stream');
  t.deepEqual(await reportsOf(system, bob.userId), [], 'never to the one it names');
  t.equal(
    ((await reportsOf(system, account.userId))[0]?.data as { userId?: string } | undefined)?.userId,
    account.userId,
    'and names the caller',
  );

  const anonymous = await request(system.app)
    .post(`/playback/${videoId}`)
    .set('Sec-Fetch-Site', 'same-origin')
    .type('form')
    .send({ positionSeconds: '30', durationSeconds: '600', userId: bob.userId });
  t.equal(anonymous.status, 401, 'a visitor who is not logged in gets 401');
  t.match(anonymous.text, /Log in so the site can remember where you stopped watching/, 'in words, saying what to do');

  const page = await browser.get(`/videos/${videoId}`);
  const noToken = await browser.post(`/playback/${videoId}`, { positionSeconds: '40', durationSeconds: '600' });
  t.equal(noToken.status, 403, 'a logged-in report without the session’s token is refused');
  const wrongToken = await browser.post(`/playback/${videoId}`, {
    _csrf: 'forged',
    positionSeconds: '40',
    durationSeconds: '600',
  });
  t.equal(wrongToken.status, 403, 'so is one with another token');
  const crossSite = await request(system.app)
    .post(`/playback/${videoId}`)
    .set({ cookie: browser.cookieHeader(), 'Sec-Fetch-Site': 'cross-site' })
    .type('form')
    .send({ _csrf: csrfTokenOf(page), positionSeconds: '40', durationSeconds: '600' });
  t.equal(crossSite.status, 403, 'and one posted from another site, token or not');
  const header = await request(system.app)
    .post(`/playback/${videoId}`)
    .set({ cookie: browser.cookieHeader(), 'Sec-Fetch-Site': 'same-origin', 'x-csrf-token': csrfTokenOf(page) })
    .type('form')
    .send({ positionSeconds: '41', durationSeconds: '600' });
  t.equal(header.status, 204, 'the token in the x-csrf-token header (the script’s fetch) is taken');
  t.equal((await reportsOf(system, account.userId)).length, 2, 'nothing but the two good reports was written');
  t.deepEqual(await reportsOf(system, bob.userId), [], 'and nothing for anyone else');
  t.equal(
    (await system.messageStore.readCategory('playback')).length,
    2,
    'nor anything else in any viewer’s stream (the anonymous report wrote nothing)',
  );
});

test('playback: bad input is a 400 and writes nothing; a draft, deleted, taken-down or unknown video is refused', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const videoId = await catalogVideo(system.db);
  const bad: Array<[string, Record<string, string> | undefined, string]> = [
    ['-1', undefined, 'a negative position'],
    ['abc', undefined, 'a position that is no number'],
    ['', undefined, 'an empty position'],
    ['Infinity', undefined, 'an infinite position'],
    ['NaN', undefined, 'NaN'],
    ['606', undefined, 'a position past the end and its slack'],
    ['10', { durationSeconds: '0' }, 'a video of no length'],
    ['10', { durationSeconds: '1e3' }, 'a number in another notation'],
    ['10', { durationSeconds: '100000' }, 'a video longer than any the site takes'],
    ['10', { durationSeconds: '-600' }, 'a negative length'],
  ];
  for (const [position, extra, what] of bad) {
    const answer = await report(browser, videoId, position, 600, extra ?? {});
    t.equal(answer.status, 400, `${what}: 400`);
  }
  const page = await browser.get(`/videos/${videoId}`);
  const missing = await browser.post(`/playback/${videoId}`, { _csrf: csrfTokenOf(page) });
  t.equal(missing.status, 400, 'no place at all: 400');
  t.match(missing.text, /That is not a place in this video\. Reload the video’s page/, 'saying what to do');
  const notAVideo = await browser.post('/playback/not-a-video', {
    _csrf: csrfTokenOf(page),
    positionSeconds: '1',
    durationSeconds: '10',
  });
  t.equal(notAVideo.status, 400, 'an id that is not a video id: 400');
  t.equal(
    (await report(browser, videoId, '604.9')).status,
    204,
    'a position a moment past the end is a player’s rounding: taken',
  );

  const draft = await catalogVideo(system.db, { visibility: 'draft' });
  const deleted = await catalogVideo(system.db, { status: 'deleted' });
  const unpublished = await catalogVideo(system.db, { status: 'unpublished' });
  const takenDown = await catalogVideo(system.db);
  await system.db('videos').where({ video_id: takenDown }).update({ status: 'takenDown' });
  const unlisted = await catalogVideo(system.db, { visibility: 'unlisted' });
  for (const [id, what] of [
    [draft, 'a draft'],
    [deleted, 'a deleted video'],
    [unpublished, 'an unpublished one'],
    [takenDown, 'a taken-down one'],
    [randomUUID(), 'an unknown one'],
  ] as const) {
    const answer = await browser.post(`/playback/${id}`, {
      _csrf: csrfTokenOf(page),
      positionSeconds: '10',
      durationSeconds: '600',
    });
    t.equal(answer.status, 404, `${what}: 404`);
  }
  t.equal(
    (await report(browser, unlisted, 10)).status,
    204,
    'an unlisted video (anyone with its link watches it) is remembered',
  );
  t.equal((await reportsOf(system, account.userId)).length, 2, 'only the two good reports were written');
});

test('playback: reports are limited per viewer, and over the limit nothing is written', async (t) => {
  const system = await started(t, { rateLimits: { playbackReportsPerUser: { points: 2, windowSeconds: 600 } } });
  const ada = await loggedIn(system);
  const bob = await loggedIn(system);
  const videoId = await catalogVideo(system.db);
  t.equal((await report(ada.browser, videoId, 10)).status, 204, 'a first report');
  t.equal((await report(ada.browser, videoId, 20)).status, 204, 'a second');
  const held = await report(ada.browser, videoId, 30);
  t.equal(held.status, 429, 'the third within the window is refused');
  t.ok(Number(held.headers['retry-after']) > 0, 'saying when to try again');
  t.match(held.text, /saved again in 10 minutes/, 'in words');
  t.equal((await reportsOf(system, ada.account.userId)).length, 2, 'nothing written for it');
  t.equal((await report(bob.browser, videoId, 10)).status, 204, 'another viewer has their own allowance');
});

test('playback: the watch page offers to resume past the first seconds and before the end, never otherwise', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const duration = 600;
  const cases: Array<[number, boolean, string]> = [
    [RESUME_FROM_SECONDS, false, 'at the first seconds'],
    [RESUME_FROM_SECONDS + 1, true, 'just past them'],
    [duration * WATCHED_FRACTION - 1, true, 'just before the end'],
    [duration * WATCHED_FRACTION, false, 'near the end (watched)'],
    [duration, false, 'at the end'],
  ];
  for (const [position, offered, what] of cases) {
    const videoId = await catalogVideo(system.db);
    t.equal((await report(browser, videoId, position, duration)).status, 204);
    await positionApplied(system, account.userId, videoId, position);
    const page = await browser.get(`/videos/${videoId}`);
    t.equal(
      /Resume at/.test(page.text),
      offered,
      `${what} (${position} s of ${duration}): ${offered ? 'offered' : 'not offered'}`,
    );
  }
});

test('playback: the home page lists a viewer’s unfinished videos they can still watch, latest first, with how far they got', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const older = await catalogVideo(system.db);
  const newer = await catalogVideo(system.db, { visibility: 'unlisted' });
  const finished = await catalogVideo(system.db);
  const drafted = await catalogVideo(system.db);
  const deleted = await catalogVideo(system.db);
  const takenDown = await catalogVideo(system.db);
  await system
    .db('videos')
    .whereIn('video_id', [older, newer, finished, drafted, deleted, takenDown])
    .update({ name: system.db.raw(`'Video ' || video_id`) });
  for (const id of [older, drafted, deleted, takenDown]) await report(browser, id, 100, 600);
  await report(browser, finished, 590, 600);
  await report(browser, newer, 192, 600);
  await positionApplied(system, account.userId, newer, 192);
  // Since watched: made a draft, deleted, taken down.
  await system.db('videos').where({ video_id: drafted }).update({ visibility: 'draft' });
  await system.db('videos').where({ video_id: deleted }).update({ status: 'deleted' });
  await system.db('videos').where({ video_id: takenDown }).update({ status: 'takenDown' });

  const home = await browser.get('/');
  const section = /<section[^>]*continue-watching[\s\S]*?<\/section>/.exec(home.text)?.[0] ?? '';
  t.match(section, /<h2[^>]*>Continue watching<\/h2>/, 'a Continue watching section');
  t.ok(
    home.text.indexOf('Continue watching') < home.text.indexOf('Newest videos'),
    'at the top, above the newest videos',
  );
  const listed = [...section.matchAll(/href="\/videos\/([0-9a-f-]{36})"/g)].map((match) => match[1]);
  t.deepEqual(listed, [newer, older], 'the unfinished ones they can still watch, latest first (unlisted too)');
  t.match(section, /3:12 of 10:00 · 7 minutes left/, 'each says how far they got and what is left, in words');
  t.match(section, /<progress[^>]*max="100"[^>]*value="32"/, 'beside a bar');

  t.doesNotMatch(
    (await request(system.app).get('/')).text,
    /Continue watching/,
    'a visitor who is not logged in sees no such section',
  );
  const other = await loggedIn(system);
  t.doesNotMatch((await other.browser.get('/')).text, /Continue watching/, 'nor does a viewer who has watched nothing');
});

test('playback: clearing the watching history asks first, then forgets every place; watching again counts again', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const videoId = await catalogVideo(system.db);
  await report(browser, videoId, 100);
  await positionApplied(system, account.userId, videoId, 100);

  const accountPage = await browser.get('/account');
  t.match(
    accountPage.text,
    /<a[^>]*href="\/account\/watching-history"[^>]*data-confirm-dialog="history-dialog"[^>]*>Clear your watching history…<\/a>/,
    'the account page links to clearing, through a dialog with script',
  );
  t.match(accountPage.text, /src="\/public\/js\/confirm-dialog\.js"/, 'the shared dialog script');
  const confirmation = await browser.get('/account/watching-history');
  t.equal(confirmation.status, 200, 'a page that asks first, for browsers without script');
  t.match(confirmation.text, /cannot be undone/, 'saying it is for good');
  t.equal(
    (await request(system.app).get('/account/watching-history')).status,
    303,
    'a visitor who is not logged in is sent to log in',
  );

  const forged = await browser.post('/account/watching-history', {});
  t.equal(forged.status, 403, 'a post without the token is refused');
  t.deepEqual(
    (await reportsOf(system, account.userId)).map((message) => message.type),
    ['PlaybackProgressed'],
    'and writes nothing',
  );

  const cleared = await browser.post('/account/watching-history', { _csrf: csrfTokenOf(confirmation) });
  t.equal(cleared.status, 303, 'cleared');
  t.equal(cleared.headers.location, '/account', 'back to the account page');
  t.match((await browser.get('/account')).text, /Your watching history is cleared/, 'which says so');
  const events = await reportsOf(system, account.userId);
  t.deepEqual(events.at(-1)?.data, { userId: account.userId }, 'PlaybackHistoryCleared, in their stream');
  await waitUntil(
    'the rows gone',
    async () => (await system.db('playback_positions').where({ user_id: account.userId })).length === 0,
  );
  t.doesNotMatch((await browser.get(`/videos/${videoId}`)).text, /Resume at/, 'the video no longer offers to resume');
  t.doesNotMatch((await browser.get('/')).text, /Continue watching/, 'nor does the home page list it');

  await report(browser, videoId, 50);
  await positionApplied(system, account.userId, videoId, 50);
  t.match(
    (await browser.get(`/videos/${videoId}`)).text,
    /Resume at 0:50/,
    'watching again after the clear counts again',
  );
});

test('playback: the history is in the viewer’s own download, and goes with their account', async (t) => {
  const system = await started(t);
  const email = 'ada.watching@example.com';
  const password = 'a long enough password';
  const userId = await registerThroughTheSite(system, email, password);
  const browser = cookieBrowser(system.app);
  await browser.logIn(email, password);
  const videoId = await catalogVideo(system.db);
  t.equal((await report(browser, videoId, 100)).status, 204);
  await positionApplied(system, userId, videoId, 100);

  const accountPage = await browser.get('/account');
  const download = await browser.post('/account/data', { _csrf: csrfTokenOf(accountPage), format: 'json' });
  t.equal(download.status, 200);
  const exported = (JSON.parse(download.text) as { messages: Array<{ type: string; data: Record<string, unknown> }> })
    .messages;
  const progress = exported.find((message) => message.type === 'PlaybackProgressed');
  t.equal(progress?.data.videoId, videoId, 'their download lists the report with its video opened');

  const deletePage = await browser.get('/account/delete');
  const deleted = await browser.post('/account/delete', {
    _csrf: csrfTokenOf(deletePage),
    password,
    confirm: 'DELETE',
  });
  t.equal(deleted.status, 303, 'the account deleted');
  await waitUntil(
    'their rows gone',
    async () => (await system.db('playback_positions').where({ user_id: userId })).length === 0,
  );
  t.pass('their positions went with the account');
  const events = await reportsOf(system, userId);
  t.equal(events.length, 1, 'the log keeps the report');
  t.notOk(
    JSON.stringify(events).includes(videoId),
    'which no longer says what they watched: the video was sealed with the erased key',
  );
});

test('playback: an unlisted video, never public, is listed under Continue watching through the real catalog events', async (t) => {
  // The catalog sets published_at only when a video is first public: an unlisted one never gets it.
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const video = newVideo();
  await writeEvents(
    system.messageStore,
    video,
    controls.accepted(video, undefined, 'unlisted'),
    controls.published(video, undefined, 600),
    controls.named(video, 'Shared by link'),
  );
  await waitUntil(
    'the unlisted video in the catalog',
    async () =>
      (await system.db('videos').where({ video_id: video.videoId, status: 'published' }).first()) !== undefined,
  );
  t.equal((await report(browser, video.videoId, 120, 600)).status, 204, 'its place is taken');
  await positionApplied(system, account.userId, video.videoId, 120);
  t.match((await browser.get(`/videos/${video.videoId}`)).text, /Resume at 2:00/, 'its watch page offers to resume');
  const home = await browser.get('/');
  const section = /<section[^>]*continue-watching[\s\S]*?<\/section>/.exec(home.text)?.[0] ?? '';
  t.match(
    section,
    new RegExp(`href="/videos/${video.videoId}"`),
    'and the home page lists it, as it lists every unlisted one they watch',
  );
});

test('playback: the home page and the watch page name the same second: 192.6 s is 3:12 on both', async (t) => {
  const system = await started(t);
  const { browser, account } = await loggedIn(system);
  const videoId = await catalogVideo(system.db);
  t.equal((await report(browser, videoId, 192.6, 600)).status, 204);
  await positionApplied(system, account.userId, videoId, 192.6);
  t.match((await browser.get(`/videos/${videoId}`)).text, /Resume at 3:12/, 'the watch page resumes at 3:12');
  const section = /<section[^>]*continue-watching[\s\S]*?<\/section>/.exec((await browser.get('/')).text)?.[0] ?? '';
  t.match(section, /3:12 of 10:00/, 'and the home page says 3:12, not 3:13');
});
