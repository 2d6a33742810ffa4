import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { createEmailChangeEmails, createRegistrationEmail } from '../../src/components/identity/registration-email.ts';
import { createPasswordEmails } from '../../src/components/identity/password-emails.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { FROM_THIS_SITE, logIn, seedAccount, profileFields } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

/**
 * Words that name how the site is built, not what a visitor or creator does: none may show on
 * their pages or in their emails (admins' pages are another matter).
 */
const INTERNAL_WORDS =
  /\b(events?|projections?|streams?|message ?store|messages? db|aggregators?|components?|traces?|subscribers?|subscriptions?|idempoten\w*|append-only|commands?|VideoViewed|RegistrationRejected|transcod\w*|ffmpeg|npm|uuid|null|undefined|NaN)\b/gi;

/** What a person reads: comments, scripts and tags gone, entities as their characters. */
function visibleText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** A count printed with the wrong number of its noun: "1 videos", "1 views", "minute(s)". */
const BAD_PLURALS = /\b1 [a-z]+s\b(?<!\b1 (?:is|was|has|does|this))|\(s\)/g;

test('visitor words: no page a visitor or creator sees, nor the welcome email, names the machinery or miscounts', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const seen: [string, string][] = [];
  const page = async (name: string, answer: Promise<request.Response>) => {
    const text = (await answer).text;
    seen.push([name, visibleText(text)]);
    return text;
  };
  const visitor = request.agent(system.app);
  await page('home, empty', visitor.get('/').expect(200));
  await page('register', visitor.get('/register').expect(200));
  await page('log in', visitor.get('/auth/log-in').expect(200));
  await page('404', visitor.get('/no-such-page').expect(404));
  await page('search, no results', visitor.get('/search?q=nothing+like+this').expect(200));
  await page('search, too long', visitor.get(`/search?q=${'a'.repeat(300)}`).expect(400));
  await page('search, a NUL byte', visitor.get('/search?q=a%00b').expect(400));
  await page('a video that is not there', visitor.get(`/videos/${randomUUID()}`).expect(404));
  await page('a registration that is not there', visitor.get(`/register/${randomUUID()}`).expect(404));

  // Registrations: pending, registered, refused for a taken address.
  const form = await visitor.get('/register');
  const userId = /name="userId" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
  const posted = await visitor
    .post('/register')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({
      _csrf: csrfTokenOf(form),
      userId,
      email: 'words@example.com',
      password: 'long enough 1',
      passwordAgain: 'long enough 1',
      ...profileFields(),
    });
  await page('registration status, pending', visitor.get(posted.headers.location ?? '/register/none').expect(200));
  const registered = randomUUID();
  await system.messageStore.write(`identity-${registered}`, {
    id: randomUUID(),
    type: 'Registered',
    data: { email: 'r@example.com' },
    metadata: {},
  });
  await system
    .db('user_credentials')
    .insert({ user_id: registered, email: 'r@example.com', password_hash: 'x', registered_at: new Date() });
  await page('registration status, registered', visitor.get(`/register/${registered}`).expect(200));
  const refused = randomUUID();
  await system.messageStore.write(`identity-${refused}`, {
    id: randomUUID(),
    type: 'RegistrationRejected',
    data: { reason: 'email already registered' },
    metadata: {},
  });
  await page('registration status, refused', visitor.get(`/register/${refused}`).expect(200));
  const taken = await visitor.get('/register');
  await page(
    'register, email taken',
    visitor
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({
        _csrf: csrfTokenOf(taken),
        userId: randomUUID(),
        email: 'r@example.com',
        password: 'long enough 1',
        passwordAgain: 'long enough 1',
        ...profileFields(),
      })
      .expect(400),
  );

  // A creator with a published video, one that failed, and a change that was refused.
  const creator = await seedAccount(system.db);
  const videoId = randomUUID();
  await system.db('videos').insert({
    video_id: videoId,
    owner_id: creator.userId,
    name: 'Keysets explained',
    description: 'Why OFFSET gets slow.',
    status: 'published',
    transcoded_uri: 'file:///nowhere/video.mp4',
    poster_uri: 'file:///nowhere/poster.jpg',
    duration_seconds: 61,
    width: 320,
    height: 240,
    views: 1,
    published_at: new Date(),
  });
  await system.db('home_page').insert({ page_name: 'home', videos_watched: 1 }).onConflict('page_name').merge();
  await system.db('creators_videos').insert({
    video_id: videoId,
    owner_id: creator.userId,
    status: 'published',
    name: 'Keysets explained',
    uploaded_at: new Date(),
  });
  const failedId = randomUUID();
  await system.db('creators_videos').insert({
    video_id: failedId,
    owner_id: creator.userId,
    status: 'failed',
    failure_reason: 'This file holds no video we can read. Please upload another file.',
    uploaded_at: new Date(),
  });
  const operation = randomUUID();
  await system.db('video_operations').insert({
    trace_id: operation,
    video_id: videoId,
    user_id: creator.userId,
    kind: 'name',
    status: 'failed',
    reason: 'only the video’s owner can change it',
    updated_at: new Date(),
  });
  await system.db('user_profiles').insert({ user_id: creator.userId, display_name: 'Grace Hopper', handle: 'grace' });
  await page('home, filled', visitor.get('/').expect(200));
  await page('newest', visitor.get('/newest').expect(200));
  await page('most watched this week, nothing yet', visitor.get('/popular').expect(200));
  await system.db('video_weekly_views').insert({
    video_id: videoId,
    week_ending: system.db.raw("(now() AT TIME ZONE 'UTC')::date"),
    views: 3,
  });
  await page('most watched this week', visitor.get('/popular').expect(200));
  await page('home, with the week’s most watched', visitor.get('/').expect(200));
  await page('most watched, a broken page link', visitor.get('/popular?after=garbage').expect(400));
  await page('watch', visitor.get(`/videos/${videoId}`).expect(200));
  // Up next: another of the creator's videos (issue 19).
  await system.db('videos').insert({
    video_id: randomUUID(),
    owner_id: creator.userId,
    name: 'Cursors in depth',
    status: 'published',
    visibility: 'public',
    transcoded_uri: 'file:///nowhere/video.mp4',
    poster_uri: 'file:///nowhere/poster.jpg',
    duration_seconds: 125,
    published_at: new Date(),
  });
  const withUpNext = await page('watch, with up next', visitor.get(`/videos/${videoId}`).expect(200));
  if (!withUpNext.includes('Cursors in depth')) t.fail('the watch page lists up next');
  await page('a person’s page', visitor.get('/@grace').expect(200));
  await page('a handle nobody has', visitor.get('/@nobody-here').expect(404));

  const agent = request.agent(system.app);
  await logIn(agent, creator.email, creator.password);
  await page('creators portal, address not confirmed', agent.get('/creators-portal').expect(200));
  await page('change password', agent.get('/account/password').expect(200));
  await page('change your email', agent.get('/account/email').expect(200));
  await page(
    'a verification link for no account',
    visitor.get(`/account/verify/${randomUUID()}/${randomUUID()}.${'A'.repeat(43)}`).expect(404),
  );
  // The profile form reads the user's own identity: a registration with a name and handle.
  const personalData = createPersonalData(system.db);
  await system.messageStore.write(identityStreamName(creator.userId), {
    id: randomUUID(),
    type: 'Registered',
    data: {
      userId: creator.userId,
      email: await personalData.seal(creator.userId, creator.email),
      passwordHash: await personalData.seal(creator.userId, '$2b$04$' + 'a'.repeat(53)),
      displayName: await personalData.seal(creator.userId, 'Grace Hopper'),
      handle: await personalData.seal(creator.userId, 'grace'),
    },
    metadata: {},
  });
  await page('your name and handle', agent.get('/account/profile').expect(200));
  await page('a video’s page in the portal', agent.get(`/creators-portal/videos/${videoId}`).expect(200));
  await page('a failed video’s page in the portal', agent.get(`/creators-portal/videos/${failedId}`).expect(200));
  await page('operation page', agent.get(`/creators-portal/operations/${operation}`).expect(200));
  await page('someone else’s video', agent.get(`/creators-portal/videos/${randomUUID()}`).expect(404));
  await page('account', agent.get('/account').expect(200));
  // Continue watching: a place to resume, the home page's section, clearing, and refused reports.
  await system.db('playback_positions').insert({
    user_id: creator.userId,
    video_id: videoId,
    position_seconds: 192,
    duration_seconds: 600,
    watched_at: new Date(),
    stream_position: 0,
  });
  const watching = await page('watch, with a place to resume', agent.get(`/videos/${videoId}`).expect(200));
  await page('home, continue watching', agent.get('/').expect(200));
  await page('clear your watching history?', agent.get('/account/watching-history').expect(200));
  const report = (path: string, fields: Record<string, string>) =>
    agent
      .post(path)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: csrfTokenOf({ text: watching } as request.Response), ...fields });
  await page(
    'a place that is not one',
    report(`/playback/${videoId}`, { positionSeconds: 'x', durationSeconds: '600' }).expect(400),
  );
  await page(
    'a place in a video that is not there',
    report(`/playback/${randomUUID()}`, { positionSeconds: '1', durationSeconds: '600' }).expect(404),
  );
  await page(
    'a place reported logged out',
    request(system.app)
      .post(`/playback/${videoId}`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ positionSeconds: '1', durationSeconds: '600' })
      .expect(401),
  );
  await page('log out everywhere?', agent.get('/account/log-out-everywhere').expect(200));
  const deletion = await page('delete your account', agent.get('/account/delete').expect(200));
  await page(
    'delete your account, refused',
    agent
      .post('/account/delete')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf: csrfTokenOf({ text: deletion } as request.Response), password: 'not it', confirm: '' })
      .expect(400),
  );
  await page('account deleted', visitor.get('/account/deleted').expect(200));
  const logOut = await page('log out', agent.get('/auth/log-out').expect(200));
  await agent
    .post('/auth/log-out')
    .set(FROM_THIS_SITE)
    .type('form')
    .send({ _csrf: csrfTokenOf({ text: logOut } as request.Response) })
    .expect(303);
  await page('home, after logging out', agent.get('/').expect(200));

  await page('forgot password', visitor.get('/auth/forgot').expect(200));
  await page('forgot password, sent', visitor.get('/auth/forgot/sent').expect(200));
  await page(
    'a reset link that does not work',
    visitor.get(`/auth/reset/${randomUUID()}.${'A'.repeat(43)}`).expect(404),
  );
  await page('a reset that is not there', visitor.get(`/auth/reset-status/${randomUUID()}`).expect(404));
  const passwordEmails = createPasswordEmails('https://tutorials.example.com/');
  for (const [name, mail] of [
    ['reset email', passwordEmails.reset()],
    ['password changed email', passwordEmails.changed('reset', new Date())],
  ] as const)
    seen.push([`${name}, text`, mail.text], [`${name}, HTML`, visibleText(mail.html)]);

  const email = createRegistrationEmail('https://tutorials.example.com/')();
  seen.push(['welcome email, text', email.text], ['welcome email, HTML', visibleText(email.html)]);
  const change = createEmailChangeEmails('https://tutorials.example.com/');
  for (const [name, made] of [
    ['email change link', change.verification()],
    ['email change notice', change.notice()],
  ] as const) {
    seen.push([`${name}, text`, made.text], [`${name}, HTML`, visibleText(made.html)]);
  }

  t.equal(seen.length, 59, 'every page and the emails were read');
  for (const [name, text] of seen) {
    t.ok(text.length > 0, `${name}: has words`);
    t.deepEqual([...new Set(text.match(INTERNAL_WORDS) ?? [])], [], `${name}: no internal words`);
    t.deepEqual(text.match(BAD_PLURALS) ?? [], [], `${name}: no miscounted nouns`);
  }
  t.match(
    seen.find(([name]) => name === 'home, after logging out')?.[1] ?? '',
    /You are logged out\./,
    'logging out says so',
  );
});
