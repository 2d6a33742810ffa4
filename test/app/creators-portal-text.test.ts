import { randomUUID } from 'node:crypto';
import request from 'supertest';
import test from 'tape';
import { FROM_THIS_SITE, logIn, seedAccount } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { videoPublishingCommandSchemas } from '../../src/contracts/video-publishing.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

type TestSystem = Awaited<ReturnType<typeof createTestSystem>>;

const ROOMY = { points: 1_000, windowSeconds: 60 };

/** A creator logged in, with a published video of theirs, and a way to post its forms. */
async function creatorWithVideo(system: TestSystem) {
  const account = await seedAccount(system.db);
  const agent = request.agent(system.app);
  const loggedIn = await logIn(agent, account.email, account.password);
  if (loggedIn.status !== 303) throw new Error(`log-in failed: ${loggedIn.status}`);
  const videoId = randomUUID();
  await system.db('creators_videos').insert({
    video_id: videoId,
    owner_id: account.userId,
    status: 'published',
    name: 'Knots',
    uploaded_at: new Date(),
  });
  const _csrf = csrfTokenOf(await agent.get(`/creators-portal/videos/${videoId}`).expect(200));
  const post = (what: 'name' | 'description', value: string) =>
    agent
      .post(`/creators-portal/videos/${videoId}/${what}`)
      .set(FROM_THIS_SITE)
      .type('form')
      .send({ _csrf, [what]: value });
  return { videoId, post };
}

const commandsWritten = async (system: TestSystem) =>
  (await system.messageStore.readCategory('videoPublishing:command')).length;

test('creators portal: text the rules refuse is refused at the form (400, what was typed kept), so it never enters the log', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { post } = await creatorWithVideo(system);
  // The description that froze the admin pages: refused by the component, yet kept for good in
  // the command and in the rejection that repeated it.
  const huge = `${'x'.repeat(62_900)} and the end of it`;
  const tooLong = await post('description', huge);
  t.equal(tooLong.status, 400, 'a 63,000-character description → 400');
  t.match(tooLong.text, /at most 5,000 characters/, 'saying how long a description may be');
  t.ok(tooLong.text.includes(huge.slice(0, 500)), 'with what was typed still in the form');

  const past = await post('description', 'y'.repeat(100_000));
  t.equal(past.status, 413, 'more than a form may send at all → 413');
  t.match(past.text, /more than this form can take/, 'in plain words');
  t.doesNotMatch(past.text, /entity/, 'not the library’s');

  const reversed = await post('name', 'Knots \u202Edaer ot ysae');
  t.equal(reversed.status, 400, 'a name with a right-to-left override → 400');
  t.match(reversed.text, /invisible/, 'saying why in plain words');
  t.ok(reversed.text.includes('Knots \u202Edaer ot ysae'), 'and keeping it in the field to fix');

  for (const [what, value] of [
    ['name', '   '],
    ['name', 'x'.repeat(201)],
    ['name', 'Two\nlines'],
    ['name', 'Zero\u200Bwidth'],
    ['description', 'Isolated \u2067text\u2069'],
    ['description', 'Bell\u0007'],
  ] as const) {
    t.equal((await post(what, value)).status, 400, `${what} ${JSON.stringify(value.slice(0, 20))} → 400`);
  }
  t.equal(await commandsWritten(system), 0, 'not one command written');

  t.equal((await post('name', 'Knots 👩‍💻 for coders')).status, 303, 'an emoji joined by ZWJ is fine');
  t.equal((await post('description', 'Two\nlines\tand a tab')).status, 303, 'a description keeps its line breaks');
  t.equal(await commandsWritten(system), 2, 'those two went on');
});

test('creators portal: a creator changing names and descriptions faster than the limit gets 429 with the text kept, and other creators are unaffected', async (t) => {
  const system = await createTestSystem({
    rateLimits: { registrationsPerAddress: ROOMY, videoEditsPerCreator: { points: 3, windowSeconds: 600 } },
  });
  closeAtEnd(t, () => system.stop());
  const busy = await creatorWithVideo(system);
  for (const name of ['One', 'Two', 'Three'])
    t.equal((await busy.post('name', name)).status, 303, `rename to ${name} → 303`);
  const refused = await busy.post('description', 'A fourth change');
  t.equal(refused.status, 429, 'the fourth change in the window → 429');
  t.ok(Number(refused.headers['retry-after']) > 0, `with Retry-After (${refused.headers['retry-after']} s)`);
  t.match(refused.text, /Try again in 10 minutes/, 'and the page says when, in plain words');
  t.ok(refused.text.includes('A fourth change'), 'keeping what was typed');
  t.equal((await busy.post('name', '   ')).status, 400, 'a change the rules refuse is still a 400, not counted');

  const other = await creatorWithVideo(system);
  t.equal((await other.post('name', 'Mine')).status, 303, 'another creator is not held back');
  t.equal(await commandsWritten(system), 4, 'three changes and the other creator’s one written; the refused ones not');
});

test('creators portal: text is sent as the rules read it (trimmed), so spaces around it neither enter the log nor push the command past its contract', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  const { videoId, post } = await creatorWithVideo(system);
  // Far past the 10,000 characters a NameVideo may carry, yet a fine name once trimmed.
  const padded = `  Padded${' '.repeat(12_000)}`;
  t.equal((await post('name', padded)).status, 303, 'a name with spaces around it is taken');
  t.equal(
    (await post('description', `\n\n  Described  ${'\n'.repeat(20_000)}`)).status,
    303,
    'and so is a description',
  );
  const commands = await system.messageStore.readCategory('videoPublishing:command');
  t.deepEqual(
    commands.map((command) => command.data),
    [
      { videoId, name: 'Padded' },
      { videoId, description: 'Described' },
    ],
    'each command carries the text trimmed',
  );
  for (const command of commands) {
    const schema = videoPublishingCommandSchemas[command.type as 'NameVideo' | 'DescribeVideo'];
    t.ok(
      schema.safeParse(command.data).success,
      `${command.type} is within the contract (a command past it is parked, and its page waits for ever)`,
    );
  }
});
