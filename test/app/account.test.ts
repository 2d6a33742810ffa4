import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { deleteOwnAccount } from '../../src/app/account/delete-account.ts';
import { createAccountQueries } from '../../src/app/account/queries.ts';
import { createSessions } from '../../src/app/authenticate/sessions.ts';
import { identityEmailStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { videoPublishingCommandStreamName, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import type { System } from '../../src/system.ts';
import { logIn, seedAccount } from '../helpers/accounts.ts';
import { registerThroughTheSite } from '../helpers/admin-section-app.ts';
import { cookieBrowser, type CookieBrowser } from '../helpers/cookie-browser.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';

async function started(t: test.Test, overrides: Parameters<typeof createTestSystem>[0] = {}): Promise<System> {
  const system = await createTestSystem(overrides);
  closeAtEnd(t, () => system.stop());
  system.start();
  return system;
}

/** Opens the deletion page and posts its form with `form` (its token unless `_csrf` is given). */
async function postDelete(browser: CookieBrowser, form: Record<string, string>): Promise<request.Response> {
  const page = await browser.get('/account/delete');
  return browser.post('/account/delete', { _csrf: csrfTokenOf(page), ...form });
}

async function download(browser: CookieBrowser, format: string): Promise<request.Response> {
  const page = await browser.get('/account');
  return browser.post('/account/data', { _csrf: csrfTokenOf(page), format });
}

interface Exported {
  readonly streamName: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

test('account: a visitor is sent to log in, and comes back to the page after', async (t) => {
  const system = await started(t);
  for (const path of ['/account', '/account/delete', '/account/log-out-everywhere']) {
    const answer = await request(system.app).get(path);
    t.equal(answer.status, 303, `${path}: redirected`);
    t.equal(
      answer.headers.location,
      `/auth/log-in?returnTo=${encodeURIComponent(path)}`,
      `${path}: to log in, and back`,
    );
  }
  const posted = await request(system.app)
    .post('/account/data')
    .set('Sec-Fetch-Site', 'same-origin')
    .type('form')
    .send({ format: 'json' });
  t.equal(posted.status, 303, 'a download without a log-in is sent to log in too');
  t.equal(
    (await request(system.app).get('/account/deleted')).status,
    200,
    'the page after a deletion is open to anyone',
  );

  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  const page = await agent.get('/auth/log-in?returnTo=%2Faccount');
  const answer = await agent
    .post('/auth/log-in')
    .set('Sec-Fetch-Site', 'same-origin')
    .type('form')
    .send({ _csrf: csrfTokenOf(page), email: account.email, password: account.password, returnTo: '/account' });
  t.equal(answer.headers.location, '/account', 'logging in leads back to the account page');
});

test('account: the page shows the user’s own email, registration and sessions, and links to what they can change', async (t) => {
  const system = await started(t);
  const ada = await seedAccount(system.db, { email: 'ada.page@example.com' });
  const bob = await seedAccount(system.db, { email: 'bob.page@example.com' });
  const laptop = cookieBrowser(system.app);
  const phone = cookieBrowser(system.app);
  await laptop.logIn(ada.email, ada.password);
  await phone.logIn(ada.email, ada.password);
  await cookieBrowser(system.app).logIn(bob.email, bob.password);

  const page = await laptop.get('/account');
  t.equal(page.status, 200, 'shown');
  t.match(page.text, /<dd>ada\.page@example\.com/, 'their email');
  t.doesNotMatch(page.text, /bob\.page/, 'nobody else’s');
  t.match(page.text, /Registered<\/dt><dd><time datetime="\d{4}-/, 'when they registered');
  t.equal(page.text.match(/Logged in <time/g)?.length, 2, 'their two sessions, not Bob’s');
  t.equal(page.text.match(/\(this device\)/g)?.length, 1, 'one of them marked as this device');
  for (const href of [
    '/account/profile',
    '/account/password',
    '/account/email',
    '/account/log-out-everywhere',
    '/account/delete',
  ])
    t.match(page.text, new RegExp(`href="${href}"`), `links to ${href}`);
  t.match(page.text, /action="\/account\/data"/, 'offers the download');
  t.match(String(page.headers['cache-control']), /no-store/, 'and no cache keeps it');

  const confirm = await laptop.get('/account/log-out-everywhere');
  t.match(
    confirm.text,
    /action="\/auth\/log-out-everywhere" method="post"/,
    '"log out everywhere" asks first, then posts to log-in’s own action',
  );
  t.equal((await laptop.post('/auth/log-out-everywhere', { _csrf: csrfTokenOf(confirm) })).status, 303, 'pressed');
  t.equal((await phone.get('/account')).status, 303, 'the other browser is logged out');
});

test('account: "download my data" holds the user’s own messages only, their fields opened, as JSON and as CSV', async (t) => {
  const system = await started(t);
  const ada = await registerThroughTheSite(system, 'ada.download@example.com', PASSWORD);
  const bob = await registerThroughTheSite(system, 'bob.download@example.com', PASSWORD);
  await logIn(request.agent(system.app), 'bob.download@example.com', PASSWORD);
  const browser = cookieBrowser(system.app);
  await browser.logIn('ada.download@example.com', PASSWORD);
  // In Ada's history, a field sealed for someone else (an email to Bob about her): hers to see it was there, not to read.
  const sealedForBob = await createPersonalData(system.db).seal(bob, 'bob.download@example.com');
  await system.messageStore.write(`accountTest-${ada}`, {
    id: randomUUID(),
    type: 'Noted',
    data: { sealedFor: bob, to: sealedForBob },
    metadata: { userId: ada },
  });

  const json = await download(browser, 'json');
  t.equal(json.status, 200, 'JSON downloaded');
  t.match(String(json.headers['content-disposition']), /attachment; filename="user-[0-9a-f-]+\.json"/, 'as a file');
  const body = JSON.parse(json.text) as { messages: Exported[]; count: number };
  const types = body.messages.map((message) => message.type);
  for (const type of ['Register', 'Registered', 'UserLoggedIn']) t.ok(types.includes(type), `holds their ${type}`);
  const theirs = (message: Exported) => message.streamName.includes(ada) || message.metadata.userId === ada;
  t.ok(body.messages.every(theirs), 'every message is theirs');
  t.notOk(
    body.messages.some((message) => message.streamName.includes(bob) || message.metadata.userId === bob),
    'none of Bob’s',
  );
  t.equal(
    body.messages.find((message) => message.type === 'Noted')?.data.to,
    '[sealed]',
    'a field sealed for someone else stays sealed',
  );
  t.notOk(json.text.includes('bob.download'), 'nor his address');
  const registered = body.messages.find((message) => message.type === 'Registered');
  t.equal(registered?.data.email, 'ada.download@example.com', 'their email opened with their key, in full');
  t.notOk(/"sealed":"v1"/.test(json.text), 'no field left sealed');
  const register = body.messages.find((message) => message.type === 'Register');
  t.equal(register?.data.passwordHash, '[redacted]', 'their password hash hidden');
  t.doesNotMatch(json.text, /\$2[aby]\$/, 'no bcrypt hash anywhere');

  const csv = await download(browser, 'csv');
  t.equal(csv.status, 200, 'CSV downloaded');
  t.match(String(csv.headers['content-type']), /^text\/csv/, 'as CSV');
  const lines = csv.text.trim().split('\r\n');
  t.equal(
    lines[0],
    'global_position,time,stream_name,position,type,id,trace_id,user_id,causation_global_position,data,metadata',
    'its header',
  );
  t.equal(lines.length - 1, body.count, 'a row per message, as many as the JSON');
  t.ok(csv.text.includes('ada.download@example.com'), 'their address in it');
  t.notOk(csv.text.includes('bob.download'), 'nothing of Bob’s');

  t.equal((await download(browser, 'xml')).status, 400, 'an unknown format → 400');
  t.equal((await browser.post('/account/data', { format: 'json' })).status, 403, 'no form token → refused');
});

test('account: deletion is refused without the password or the word DELETE or the form’s token, keeping nothing typed', async (t) => {
  const system = await started(t);
  const ada = await registerThroughTheSite(system, 'ada.careful@example.com', PASSWORD);
  const browser = cookieBrowser(system.app);
  await browser.logIn('ada.careful@example.com', PASSWORD);
  const before = await system.messageStore.readStream(identityStreamName(ada));

  const wrong = await postDelete(browser, { password: 'not-the-password-typed', confirm: 'DELETE' });
  t.equal(wrong.status, 400, 'a wrong password → 400');
  t.match(wrong.text, /That is not your password/, 'saying so');
  const noWord = await postDelete(browser, { password: PASSWORD, confirm: 'delete it please' });
  t.equal(noWord.status, 400, 'no DELETE → 400');
  t.match(noWord.text, /Type the word DELETE/, 'saying what to type');
  t.doesNotMatch(noWord.text, /That is not your password/, 'the right password is not called wrong');
  const neither = await postDelete(browser, {});
  t.equal(neither.status, 400, 'nothing typed → 400');
  t.match(neither.text, /Type the word DELETE[\s\S]*Type your password/, 'saying both');
  for (const answer of [wrong, noWord, neither]) {
    t.match(answer.text, /Nothing was deleted/, 'and that nothing happened');
    t.doesNotMatch(answer.text, /not-the-password-typed|delete it please|value="a long/, 'keeping nothing typed');
  }
  const forged = await browser.post('/account/delete', { password: PASSWORD, confirm: 'DELETE' });
  t.equal(forged.status, 403, 'without the form’s token → 403');

  t.notOk(await createPersonalData(system.db).isErased(ada), 'the key is still there');
  t.deepEqual(await system.messageStore.readStream(identityStreamName(ada)), before, 'nothing written');
  t.equal((await browser.get('/account')).status, 200, 'still logged in');
});

test('account: wrong passwords at deletion are limited as log-in’s are, and count against log-in', async (t) => {
  const system = await started(t, {
    loginThrottle: {
      failuresPerDevice: { points: 2, windowSeconds: 60 },
      failuresPerAddress: { points: 2, windowSeconds: 60 },
      untrustedPerAccount: { tries: 2, refillSeconds: 60 },
    },
  });
  const account = await seedAccount(system.db);
  const browser = cookieBrowser(system.app);
  await browser.logIn(account.email, account.password);
  t.equal((await postDelete(browser, { password: 'guess one', confirm: 'DELETE' })).status, 400, 'a first wrong guess');
  t.equal((await postDelete(browser, { password: 'guess two', confirm: 'DELETE' })).status, 400, 'a second');
  const held = await postDelete(browser, { password: account.password, confirm: 'DELETE' });
  t.equal(held.status, 429, 'then held up, even with the right password');
  t.ok(Number(held.headers['retry-after']) > 0, 'saying for how long');
  t.match(held.text, /Too many wrong passwords[\s\S]*Nothing was deleted/, 'in words');
  await browser.logOut();
  t.equal(
    (await browser.logIn(account.email, account.password)).status,
    429,
    'and so is logging in again from this browser: the same count',
  );
  t.notOk(await createPersonalData(system.db).isErased(account.userId), 'nothing deleted');
});

test('account: deletion unpublishes their videos, erases them, ends every session of theirs, and log-in is refused; deleting twice is harmless', async (t) => {
  const system = await started(t);
  const email = 'ada.leaving@example.com';
  const ada = await registerThroughTheSite(system, email, PASSWORD);
  const video = { ...newVideo(), ownerId: ada };
  const othersVideo = newVideo();
  // A draft is seen by its owner alone: nothing to take off the site, so neither counted nor sent.
  const draft = { ...newVideo(), ownerId: ada };
  for (const each of [video, othersVideo])
    await writeEvents(
      system.messageStore,
      each,
      controls.accepted(each),
      controls.published(each),
      controls.named(each, 'A video'),
    );
  await writeEvents(
    system.messageStore,
    draft,
    controls.accepted(draft, undefined, 'draft'),
    controls.published(draft),
    controls.named(draft, 'A draft'),
  );
  await waitUntil(
    'the videos published for their creators',
    async () => (await system.db('creators_videos').where({ status: 'published' })).length === 3,
  );

  const laptop = cookieBrowser(system.app);
  const phone = cookieBrowser(system.app);
  await laptop.logIn(email, PASSWORD);
  await phone.logIn(email, PASSWORD);
  const confirmation = await laptop.get('/account/delete');
  t.match(confirmation.text, /takes your 1 published video off the site/, 'the page says their video goes');
  t.match(confirmation.text, /cannot be undone/, 'and that it is for good');

  const deleted = await postDelete(laptop, { password: PASSWORD, confirm: ' delete ' });
  t.equal(deleted.status, 303, 'deleted');
  t.equal(deleted.headers.location, '/account/deleted', 'to the page that says what happened');
  const after = await laptop.get('/account/deleted');
  t.match(after.text, /Your account is deleted/, 'which says so');
  t.match(after.text, /What is kept[\s\S]*never rewritten[\s\S]*unreadable/, 'what is kept, unreadable');
  t.match(after.text, /What is gone/, 'and what is not');
  t.doesNotMatch(after.text, /site-nav__user/, 'this browser is logged out');

  t.deepEqual(
    (await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId))).map(
      (message) => message.type,
    ),
    ['UnpublishVideo'],
    'their video was asked to be unpublished',
  );
  t.deepEqual(
    await system.messageStore.readStream(videoPublishingCommandStreamName(othersVideo.videoId)),
    [],
    'someone else’s was not',
  );
  t.deepEqual(
    await system.messageStore.readStream(videoPublishingCommandStreamName(draft.videoId)),
    [],
    'nor their draft',
  );
  await waitUntil(
    'their video off the site',
    async () =>
      (await system.db('videos').where({ video_id: video.videoId }).first('visibility'))?.visibility === 'draft',
  );
  t.ok(await createPersonalData(system.db).isErased(ada), 'their key is gone');
  const identity = await system.messageStore.readStream(identityStreamName(ada));
  t.deepEqual(identity.at(-1)?.data, { userId: ada, by: ada }, 'UserErased, by themselves');
  t.deepEqual(
    (await system.messageStore.readStream(identityEmailStreamName(email))).map((message) => message.type),
    ['EmailReserved', 'EmailReleased'],
    'their address released',
  );
  t.deepEqual(await system.db('sessions').where({ user_id: ada }), [], 'no session row of theirs left');

  const other = await phone.get('/account');
  t.equal(other.status, 303, 'the other browser’s session ended at its next request');
  t.match(other.headers.location ?? '', /^\/auth\/log-in/, 'it is sent to log in');
  t.equal((await cookieBrowser(system.app).logIn(email, PASSWORD)).status, 401, 'log-in is refused');

  const count = async () => (await system.messageStore.allMessagesReader().read(1, 10_000)).messages.length;
  const written = await count();
  const again = await laptop.post('/account/delete', { _csrf: 'whatever', password: PASSWORD, confirm: 'DELETE' });
  t.equal(again.status, 303, 'posting again from a logged-out browser');
  t.match(again.headers.location ?? '', /^\/auth\/log-in/, 'is sent to log in');
  const deps = {
    messageStore: system.messageStore,
    personalData: createPersonalData(system.db),
    sessions: createSessions(system.db),
    queries: createAccountQueries(system.db),
  };
  await deleteOwnAccount(deps, ada, randomUUID());
  t.equal(await count(), written, 'and deleting again writes nothing new');
});

test('account: "download my data" is limited per user, since each reads the whole log', async (t) => {
  const system = await started(t, { rateLimits: { ownDataDownloadsPerUser: { points: 2, windowSeconds: 60 } } });
  const account = await seedAccount(system.db);
  const browser = cookieBrowser(system.app);
  await browser.logIn(account.email, account.password);
  t.equal((await download(browser, 'json')).status, 200, 'a first download');
  t.equal((await download(browser, 'csv')).status, 200, 'a second');
  const held = await download(browser, 'json');
  t.equal(held.status, 429, 'then held up');
  t.ok(Number(held.headers['retry-after']) > 0, 'saying for how long');
  t.match(held.text, /Try again in/, 'in words');
  const other = await seedAccount(system.db);
  const otherBrowser = cookieBrowser(system.app);
  await otherBrowser.logIn(other.email, other.password);
  t.equal((await download(otherBrowser, 'json')).status, 200, 'someone else, from the same address, is not held up');
});

test('account: deletion unpublishes a video their list still shows as converting when it was published meanwhile', async (t) => {
  const system = await started(t);
  const email = 'ada.lagging@example.com';
  const ada = await registerThroughTheSite(system, email, PASSWORD);
  const video = { ...newVideo(), ownerId: ada };
  // Published in the log; creators_videos, a moment behind, still lists it as being converted.
  await writeEvents(
    system.messageStore,
    video,
    controls.accepted(video),
    controls.published(video),
    controls.named(video, 'A video'),
  );
  const behind = { videosUp: () => Promise.resolve({ published: [], converting: [video.videoId] }) };
  const deps = {
    messageStore: system.messageStore,
    personalData: createPersonalData(system.db),
    sessions: createSessions(system.db),
    queries: behind,
  };
  await deleteOwnAccount(deps, ada, randomUUID());
  const asked = (await system.messageStore.readStream(videoPublishingCommandStreamName(video.videoId))).map(
    (message) => message.type,
  );
  t.deepEqual(asked, ['UnpublishVideo'], 'the video is asked to be unpublished');
  if (asked.length > 0)
    await waitUntil(
      'the video off the site',
      async () =>
        (await system.db('videos').where({ video_id: video.videoId }).first('visibility'))?.visibility === 'draft',
    );
  t.pass('it comes off the site');
});

test('account: a deletion run again after a crash unpublishes a video that was converting the first time and published since', async (t) => {
  const system = await started(t);
  const ada = await registerThroughTheSite(system, 'ada.crashed@example.com', PASSWORD);
  const video = { ...newVideo(), ownerId: ada };
  const personalData = createPersonalData(system.db);
  const sessions = createSessions(system.db);
  const listed = (status: 'converting' | 'published') => ({
    videosUp: () =>
      Promise.resolve(
        status === 'converting'
          ? { published: [], converting: [video.videoId] }
          : { published: [video.videoId], converting: [] },
      ),
  });
  // The first run stops before the key goes (the process died).
  const crashing = { ...personalData, erase: () => Promise.reject(new Error('the process died')) };
  await deleteOwnAccount(
    { messageStore: system.messageStore, personalData: crashing, sessions, queries: listed('converting') },
    ada,
    randomUUID(),
  ).catch(() => undefined);
  await waitUntil('the first unpublish answered', async () =>
    (await system.messageStore.readStream(videoPublishingStreamName(video.videoId))).some(
      (message) => message.type === 'VideoUnpublishRejected',
    ),
  );
  // Not erased, the owner's video finished converting and was published.
  await writeEvents(
    system.messageStore,
    video,
    controls.accepted(video),
    controls.published(video),
    controls.named(video, 'A video'),
  );
  await waitUntil(
    'the video on the site',
    async () => (await system.db('videos').where({ video_id: video.videoId }).first('status'))?.status === 'published',
  );
  await deleteOwnAccount(
    { messageStore: system.messageStore, personalData, sessions, queries: listed('published') },
    ada,
    randomUUID(),
  );
  const unpublished = await waitUntil(
    'the video off the site',
    async () =>
      (await system.db('videos').where({ video_id: video.videoId }).first('visibility'))?.visibility === 'draft',
    { timeoutMs: 5_000 },
  ).catch(() => false);
  t.ok(unpublished, 'the second run takes it off the site');
});
