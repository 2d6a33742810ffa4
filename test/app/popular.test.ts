// The home page's sections (Most watched this week, Newest) and /popular, the week's ranking in pages.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import request from 'supertest';
import test from 'tape';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const FROM_THIS_SITE = { 'Sec-Fetch-Site': 'same-origin' } as const;

type Listing = { status?: string; visibility?: string; name?: string };

async function catalogVideo(
  db: Knex,
  { status = 'published', visibility = 'public', name }: Listing = {},
): Promise<string> {
  const videoId = randomUUID();
  await db('videos').insert({
    video_id: videoId,
    owner_id: randomUUID(),
    name: name ?? `Video ${videoId.slice(0, 8)}`,
    status,
    visibility,
    transcoded_uri: `video-store:transcoded/${videoId}.mp4`,
    poster_uri: `video-store:posters/${videoId}.jpg`,
    duration_seconds: 10,
    published_at: db.raw("now() - interval '30 days'"),
  });
  return videoId;
}

/** Counted viewings of the week ending today (UTC), as the popular-videos aggregator keeps them. */
async function watchedThisWeek(db: Knex, videoId: string, views: number): Promise<void> {
  await db('video_weekly_views').insert({
    video_id: videoId,
    week_ending: db.raw("(now() AT TIME ZONE 'UTC')::date"),
    views,
  });
}

const idsIn = (html: string): string[] =>
  [...html.matchAll(/<a class="video-card__link" href="\/videos\/([^"]+)"/g)].map((match) => match[1]!);
/** One home section's markup, by its heading's id. */
function section(html: string, id: string): string {
  const start = html.lastIndexOf('<section', html.indexOf(`aria-labelledby="${id}"`));
  return html.slice(start, html.indexOf('</section>', start));
}
const nextHrefOf = (html: string): string | undefined =>
  /<a class="button" href="(\/popular\?after=[^"]+)" rel="next"/.exec(html)?.[1];

test('popular: nothing watched this week: the home section says so and points to Newest; so does /popular', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const videoId = await catalogVideo(system.db);
  // Watched eight days ago: in the weeks that ended up to two days ago.
  await system.db('video_weekly_views').insert({
    video_id: videoId,
    week_ending: system.db.raw("(now() AT TIME ZONE 'UTC')::date - 2"),
    views: 5,
  });
  const home = await request(system.app).get('/').expect(200);
  const popular = section(home.text, 'popular-title');
  t.match(popular, /Most watched this week/, 'the section is there');
  t.match(
    popular,
    /Nobody has watched a video in the last seven days yet/,
    'and says nobody has watched anything this week',
  );
  t.match(popular, /href="\/newest"/, 'pointing to the newest videos');
  t.deepEqual(idsIn(popular), [], 'no card in it');
  t.deepEqual(idsIn(section(home.text, 'newest-title')), [videoId], 'the video is under Newest');
  const page = await request(system.app).get('/popular').expect(200);
  t.match(page.text, /Nobody has watched a video in the last seven days yet/, '/popular says so too');
  t.match(page.text, /href="\/newest"/, 'and points to the newest');
});

test('popular: the home page ranks the week’s most watched above Newest, with "1 view"/"N views this week", listed videos only; /popular pages them all', async (t) => {
  const system = await createTestSystem({ pageCacheMs: 0 });
  closeAtEnd(t, () => system.stop());
  const ranked: Array<[string, number]> = [];
  for (let n = 0; n < 14; n += 1) {
    const videoId = await catalogVideo(system.db, { name: n === 0 ? 'Top <i>one</i>' : undefined });
    const views = n === 0 ? 1_234 : n === 13 ? 1 : 20 - n;
    await watchedThisWeek(system.db, videoId, views);
    ranked.push([videoId, views]);
  }
  // Watched more than any, never listed.
  const hidden = [
    await catalogVideo(system.db, { visibility: 'draft' }),
    await catalogVideo(system.db, { visibility: 'unlisted' }),
    await catalogVideo(system.db, { status: 'takenDown' }),
    await catalogVideo(system.db, { status: 'deleted' }),
  ];
  for (const videoId of hidden) await watchedThisWeek(system.db, videoId, 5_000);
  const order = ranked.map(([id]) => id);

  const home = await request(system.app).get('/').expect(200);
  t.ok(
    home.text.indexOf('Most watched this week') < home.text.indexOf('Newest videos'),
    'Most watched this week comes before Newest',
  );
  const popular = section(home.text, 'popular-title');
  t.deepEqual(idsIn(popular), order.slice(0, 8), 'the top eight, most watched first');
  t.match(popular, /1,234 views this week/, 'each with its views in the week');
  t.match(popular, /Top &lt;i&gt;one&lt;\/i&gt;/, 'names escaped');
  t.match(popular, /href="\/popular"/, 'and a link to the whole ranking');
  for (const videoId of hidden)
    t.doesNotMatch(
      home.text,
      new RegExp(videoId),
      `a hidden video (${hidden.indexOf(videoId)}) is not on the home page`,
    );

  const seen: string[] = [];
  let next: string | undefined = '/popular';
  let pages = 0;
  let last = '';
  while (next) {
    const page = await request(system.app).get(next).expect(200);
    seen.push(...idsIn(page.text));
    last = page.text;
    next = nextHrefOf(page.text);
    pages += 1;
  }
  t.equal(pages, 2, 'two pages of 12 and 2');
  t.deepEqual(seen, order, 'every ranked video once, in order');
  t.match(last, /1 view this week/, '"1 view" for one');
  t.match(last, /href="\/popular"[^>]*>← The week/, 'a later page links back to the top');
  for (const videoId of hidden)
    t.notOk(seen.includes(videoId), `a hidden video (${hidden.indexOf(videoId)}) is on no page`);

  for (const after of [
    'garbage',
    Buffer.from('12.not-a-uuid').toString('base64url'),
    Buffer.from(`-1.${randomUUID()}`).toString('base64url'),
    'a'.repeat(500),
  ]) {
    const answer = await request(system.app).get(`/popular?after=${encodeURIComponent(after)}`);
    t.equal(answer.status, 400, `after=${after.slice(0, 20)} → 400`);
    t.match(answer.text, /\/popular/, 'naming where to start again');
  }
  t.equal((await request(system.app).get('/popular?after=a&after=b')).status, 400, 'two cursors → 400');
});

test('popular: a viewing recorded on the site shows in the week’s ranking once its aggregator has it', async (t) => {
  const system = await createTestSystem();
  closeAtEnd(t, () => system.stop());
  system.start();
  const videoId = await catalogVideo(system.db, { name: 'Watched just now' });
  await request(system.app).post(`/record-viewing/${videoId}`).set(FROM_THIS_SITE).type('form').send({}).expect(303);
  const page = await waitUntil('the home page to rank the viewing', async () => {
    const home = await request(system.app).get('/').expect(200);
    return idsIn(section(home.text, 'popular-title')).includes(videoId) ? home : undefined;
  });
  t.match(section(page.text, 'popular-title'), /1 view this week/, '"1 view this week"');
});
