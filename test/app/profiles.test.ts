import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import request from 'supertest';
import { FROM_THIS_SITE, logIn, postRegistration, seedAccount } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import type { System } from '../../src/system.ts';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';

const PASSWORD = 'a long enough password';

/** A published video, as the videos aggregator keeps it. */
async function seedVideo(db: Knex, ownerId: string, name: string, publishedAt: string): Promise<string> {
  const videoId = randomUUID();
  await db('videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    name,
    status: 'published',
    published_at: db.raw('?::timestamptz', [publishedAt]),
    duration_seconds: 90,
    transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
    poster_uri: `video-store:posters/${videoId}.jpg`,
  });
  return videoId;
}

/** Registers through the form and waits until the person can log in and has a profile row. */
async function registered(system: System, email: string, displayName: string, handle: string) {
  const agent = request.agent(system.app);
  const { userId, response } = await postRegistration(agent, email, PASSWORD, { displayName, handle });
  if (response.status !== 303)
    throw new Error(`registration answered ${response.status}: ${response.text.slice(0, 300)}`);
  await waitUntil(
    `${handle} to have a profile`,
    async () => (await system.db('user_profiles').where({ user_id: userId }).first()) ?? undefined,
  );
  await waitUntil(
    `${email} to be able to log in`,
    async () => (await system.db('user_credentials').where({ user_id: userId }).first()) ?? undefined,
  );
  return { userId, agent };
}

async function profileForm(agent: ReturnType<typeof request.agent>) {
  const page = await agent.get('/account/profile').expect(200);
  const requestId = /name="requestId" value="([^"]+)"/.exec(page.text)?.[1];
  return { page, csrf: csrfTokenOf(page), requestId: requestId! };
}

scopedTest(
  'profiles: register with a name and handle → /@handle shows them with their videos, newest first; change both on /account/profile → the old handle is free for someone else',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    system.start();
    const ada = await registered(system, 'ada@example.com', 'Ada Lovelace', 'Ada');
    const older = await seedVideo(system.db, ada.userId, 'Engines, part one', '2026-01-01 10:00:00+00');
    const newer = await seedVideo(system.db, ada.userId, 'Engines, part two', '2026-01-02 10:00:00+00');

    const page = await request(system.app).get('/@ada').expect(200);
    t.match(page.text, /<bdi>Ada Lovelace<\/bdi>/, 'the display name');
    t.match(page.text, /@ada/, 'the handle, lower-cased');
    t.ok(
      page.text.indexOf(newer) < page.text.indexOf(older) && page.text.indexOf(older) > 0,
      'their videos, newest first',
    );
    t.equal((await request(system.app).get('/@ADA')).status, 200, 'the handle is found whatever its case');
    const home = await request(system.app).get('/').expect(200);
    t.match(
      home.text,
      /<a class="person" href="\/@ada"><bdi>Ada Lovelace<\/bdi><\/a>/,
      'the catalog card names the creator, linked to their page',
    );
    const watch = await request(system.app).get(`/videos/${newer}`).expect(200);
    t.match(
      watch.text,
      /by <strong><a class="person" href="\/@ada"><bdi>Ada Lovelace<\/bdi><\/a><\/strong>/,
      'so does the watch page',
    );

    t.equal((await logIn(ada.agent, 'ada@example.com', PASSWORD)).status, 303, 'logged in');
    const portal = await ada.agent.get('/creators-portal').expect(200);
    t.match(
      portal.text,
      /Published as <a class="person" href="\/@ada"><bdi>Ada Lovelace<\/bdi><\/a>/,
      'the creators portal says whose name their videos carry',
    );
    t.match(portal.text, /href="\/account\/profile"/, 'and where to change it');
    const form = await profileForm(ada.agent);
    t.match(form.page.text, /value="Ada Lovelace"/, 'the form shows the name they have');
    const posted = await ada.agent
      .post('/account/profile')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: form.csrf, requestId: form.requestId, displayName: '  Ada King ', handle: 'ada-king' });
    t.equal(posted.status, 303, 'post/redirect/get');
    t.match(posted.headers.location ?? '', /^\/account\/profile\?change=/, 'to the page, which shows how it went');
    const outcome = await waitUntil('the change to be decided', async () => {
      const answer = await ada.agent.get(posted.headers.location!);
      return /Saving your changes/.test(answer.text) ? undefined : answer.text;
    });
    t.match(outcome, /Saved\./, 'saved');
    await waitUntil(
      'the profile row to follow',
      async () =>
        (await system.db('user_profiles').where({ handle: 'ada-king', display_name: 'Ada King' }).first()) ?? undefined,
    );
    t.match(
      (await request(system.app).get('/@ada-king').expect(200)).text,
      /<bdi>Ada King<\/bdi>/,
      'the new page, the trimmed name',
    );
    const gone = await request(system.app).get('/@ada');
    t.equal(gone.status, 404, 'the old handle leads nowhere');
    t.match(gone.text, /Nobody on this site has the handle @ada/, 'says so');
    t.match(gone.text, /href="\/"/, 'with a next step');

    const again = await ada.agent
      .post('/account/profile')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: form.csrf, requestId: form.requestId, displayName: 'Ada King', handle: 'ada-king' });
    t.equal(again.headers.location, posted.headers.location, 'the same form posted twice asks once');

    const grace = await registered(system, 'grace@example.com', 'Grace', 'ada');
    t.equal(
      (await system.db('user_profiles').where({ handle: 'ada' }).first())?.user_id,
      grace.userId,
      'someone else registers with the old handle',
    );
  },
);

scopedTest(
  'profiles: a handle someone has → the form says it is taken and keeps what was typed; bad values → 400; logged out → log in first; no token → 403',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    await registered(system, 'taken@example.com', 'Taker', 'taken');
    const me = await registered(system, 'me@example.com', 'Me', 'me-myself');
    await logIn(me.agent, 'me@example.com', PASSWORD);
    const form = await profileForm(me.agent);
    const post = (fields: Record<string, string>) =>
      me.agent
        .post('/account/profile')
        .set(FROM_THIS_SITE)
        .type('form')
        .send({ _csrf: form.csrf, requestId: form.requestId, ...fields });

    const taken = await post({ displayName: 'Me Again', handle: 'Taken' });
    t.equal(taken.status, 400);
    t.match(taken.text, /That handle is taken/, 'says the handle is taken');
    t.match(taken.text, /value="Me Again"/, 'keeps the name typed');
    t.match(taken.text, /value="taken"/, 'and the handle');
    for (const [name, fields, words] of [
      ['an empty name', { displayName: '   ', handle: 'fine' }, /Enter the name/],
      ['a name of 51 characters', { displayName: 'x'.repeat(51), handle: 'fine' }, /at most 50 characters/],
      ['a name with a line break', { displayName: 'two\nlines', handle: 'fine' }, /control characters/],
      ['a name with a right-to-left override', { displayName: 'abc\u202Edef', handle: 'fine' }, /change the direction/],
      ['a handle of two letters', { displayName: 'Me', handle: 'ab' }, /3 to 30 characters/],
      ['a handle with a space', { displayName: 'Me', handle: 'a b c' }, /3 to 30 characters/],
      ['a generated-looking handle', { displayName: 'Me', handle: `u-${'a'.repeat(28)}` }, /kept for accounts/],
    ] as const) {
      const answer = await post(fields);
      t.equal(answer.status, 400, `${name} → 400`);
      t.match(answer.text, words, `${name}: says what is wrong`);
    }
    t.equal(
      (await system.messageStore.readCategory('identity:command')).filter((message) => message.type === 'ChangeProfile')
        .length,
      0,
      'no command written for any of them',
    );
    const loggedOut = await request(system.app).get('/account/profile');
    t.equal(loggedOut.status, 303, 'logged out → redirected');
    t.match(loggedOut.headers.location ?? '', /^\/auth\/log-in\?returnTo=%2Faccount%2Fprofile/, 'to log in, and back');
    const noToken = await me.agent
      .post('/account/profile')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ requestId: form.requestId, displayName: 'X', handle: 'xyz' });
    t.equal(noToken.status, 403, 'no CSRF token → 403');
  },
);

scopedTest(
  'profiles: the registration form refuses a bad name or handle (400, what was typed kept) and a handle someone has',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    system.start();
    await registered(system, 'first@example.com', 'First', 'first');
    for (const [name, fields, words] of [
      ['no display name', { displayName: '', handle: 'okay' }, /Enter the name/],
      ['a display name with a zero-width space', { displayName: 'Ad\u200Ba', handle: 'okay' }, /invisible characters/],
      ['a handle with an accent', { displayName: 'Ada', handle: 'adé' }, /3 to 30 characters/],
      ['a taken handle', { displayName: 'Ada', handle: 'FIRST' }, /That handle is taken/],
    ] as const) {
      const agent = request.agent(system.app);
      const { response } = await postRegistration(agent, `${randomUUID().slice(0, 8)}@example.com`, PASSWORD, fields);
      t.equal(response.status, 400, `${name} → 400`);
      t.match(response.text, words, `${name}: says what is wrong`);
      if (fields.displayName)
        t.ok(
          response.text.includes(`value="${fields.displayName.replace('\u200B', '\u200B')}"`),
          `${name}: the name typed is kept`,
        );
    }
  },
);

scopedTest(
  'profiles: a name with HTML, a right-to-left override and zero-width characters is shown as text, inside <bdi>, on every page that names it',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    const ownerId = randomUUID();
    // Written straight to the projection: the form refuses the override and the zero-width space, but a name from
    // before the rule, or any other way in, must still be harmless.
    const name = '<script>alert(1)</script>\u202Egnp.exe\u200B\u200D<img src=x onerror=alert(2)>';
    await system.db('user_profiles').insert({ user_id: ownerId, display_name: name, handle: 'mallory' });
    const videoId = await seedVideo(system.db, ownerId, 'A video', '2026-01-01 10:00:00+00');
    // The admin pages name the user too.
    const admin = await seedAccount(system.db, { roles: ['admin'] });
    await system
      .db('admin_users')
      .insert({ user_id: ownerId, email: 'mallory@example.com', registered_at: new Date() });
    await system.db('admin_user_videos').insert({
      video_id: videoId,
      user_id: ownerId,
      name: 'A video',
      status: 'published',
      accepted_at: new Date(),
      global_position: 1,
      last_position: 1,
    });
    const adminAgent = request.agent(system.app);
    await logIn(adminAgent, admin.email, admin.password);
    for (const path of [
      '/',
      `/videos/${videoId}`,
      '/@mallory',
      `/admin/users/${ownerId}`,
      '/admin/users',
      `/admin/videos/${videoId}`,
    ]) {
      const page = await (path.startsWith('/admin') ? adminAgent : request(system.app)).get(path).expect(200);
      t.notOk(page.text.includes('<script>alert(1)'), `${path}: no script element from the name`);
      t.notOk(page.text.includes('<img src=x'), `${path}: no element at all`);
      t.ok(page.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${path}: the name's text, escaped`);
      t.match(
        page.text,
        /<bdi>&lt;script&gt;alert\(1\)&lt;\/script&gt;\u202Egnp\.exe\u200B\u200D&lt;img/,
        `${path}: inside <bdi>, so the override ends with the name`,
      );
    }
  },
);

scopedTest(
  'profiles: an erased user’s page is gone, their videos name them [erased], and their handle is free for the next person to register',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    system.start();
    const erin = await registered(system, 'erin@example.com', 'Erin', 'erin');
    // A video an admin erasure left published (a self-deletion unpublishes them first).
    const videoId = await seedVideo(system.db, erin.userId, 'Left behind', '2026-01-01 10:00:00+00');
    await eraseUser({ messageStore: system.messageStore, personalData: createPersonalData(system.db) }, erin.userId, {
      by: randomUUID(),
      traceId: randomUUID(),
    });
    await waitUntil('the profile row to go', async () =>
      (await system.db('user_profiles').where({ user_id: erin.userId }).first()) ? undefined : true,
    );
    t.equal((await request(system.app).get('/@erin')).status, 404, 'their page is a 404');
    const watch = (await request(system.app).get(`/videos/${videoId}`).expect(200)).text;
    t.match(watch, /<bdi class="person">\[erased\]<\/bdi>/, 'their video names them [erased], unlinked');
    t.doesNotMatch(watch, /creator-[0-9a-f]{6}/, 'not by the pseudonym of their id');
    const next = await registered(system, 'next@example.com', 'Next Person', 'erin');
    t.equal(
      (await system.db('user_profiles').where({ handle: 'erin' }).first())?.user_id,
      next.userId,
      'the handle registered again by someone else',
    );
    t.match(
      (await request(system.app).get('/@erin').expect(200)).text,
      /<bdi>Next Person<\/bdi>/,
      'whose page it is now',
    );
  },
);

scopedTest(
  'profiles: two registrations of one handle sent before either is decided → one registers, the other’s page says the handle is taken and offers another try',
  async (t, scope) => {
    const system = scope.add(await createTestSystem(), (s) => s.stop());
    // Not started yet: the form's quick check finds no profile for either, and identity decides.
    const first = await postRegistration(request.agent(system.app), 'one@example.com', PASSWORD, {
      displayName: 'One',
      handle: 'same-handle',
    });
    const second = await postRegistration(request.agent(system.app), 'two@example.com', PASSWORD, {
      displayName: 'Two',
      handle: 'same-handle',
    });
    t.deepEqual([first.response.status, second.response.status], [303, 303], 'both forms accepted');
    system.start();
    const decided = async (userId: string) =>
      waitUntil(`the registration of ${userId} to be decided`, async () => {
        const page = await request(system.app).get(`/register/${userId}`);
        return /http-equiv="refresh"/.test(page.text) && /Setting up/.test(page.text) ? undefined : page.text;
      });
    t.match(await decided(first.userId), /Registered — log in/, 'the first registers');
    const refused = await decided(second.userId);
    t.match(refused, /That handle is taken/, 'the second is told the handle is taken');
    t.match(refused, /Register with another handle/, 'and offered another try');
    t.doesNotMatch(refused, /handle already taken/, 'in words, not the reason code');
    const secondAddress = await waitUntil('the second address to be given back', async () => {
      const reservation = (await system.messageStore.readCategory('identityEmail')).filter(
        (message) => message.type === 'EmailReleased',
      );
      return reservation.length > 0 ? reservation : undefined;
    });
    t.equal(secondAddress.length, 1, 'the refused registration’s address is released');
  },
);
