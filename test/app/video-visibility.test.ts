import { randomUUID } from 'node:crypto';
import { moveChannelViews } from '../../src/aggregators/videos/channel-views.ts';
import { Readable } from 'node:stream';
import type { Knex } from 'knex';
import request from 'supertest';
import type { Visibility } from '../../src/contracts/video-publishing.ts';
import type { System } from '../../src/system.ts';
import { videoKeys } from '../../src/video-store/index.ts';
import { logIn, seedAccount, type Account } from '../helpers/accounts.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createTestSystem } from '../helpers/test-system.ts';

// Who sees a video, by its visibility, on every page that shows or lists it.

interface SeededVideo {
  readonly videoId: string;
  readonly name: string;
}

/** A converted video as the videos aggregator keeps it, with its files in the store. */
async function seedVideo(
  system: System,
  ownerId: string,
  {
    name = `Video ${randomUUID().slice(0, 6)}`,
    visibility = 'public' as Visibility,
    status = 'published',
    views = 0,
    publishedAt = new Date(),
  } = {},
): Promise<SeededVideo> {
  const videoId = randomUUID();
  const video = await system.videoStore.put(
    videoKeys.transcoded(videoId),
    Readable.from([Buffer.from('not really an mp4')]),
  );
  const poster = await system.videoStore.put(
    videoKeys.poster(videoId),
    Readable.from([Buffer.from('not really a jpeg')]),
  );
  await system.db('videos').insert({
    video_id: videoId,
    owner_id: ownerId,
    name,
    status,
    visibility,
    views,
    published_at: publishedAt,
    duration_seconds: 30,
    transcoded_uri: status === 'deleted' ? null : video.uri,
    poster_uri: status === 'deleted' ? null : poster.uri,
  });
  // Its count in its creator's channel total, as the videos projection keeps it.
  if (status === 'published' && visibility === 'public')
    await system.db.transaction((trx) => moveChannelViews(trx, new Map([[ownerId, views]])));
  return { videoId, name };
}

async function seedProfile(db: Knex, userId: string, handle: string, displayName: string): Promise<void> {
  await db('user_profiles').insert({ user_id: userId, handle, display_name: displayName });
}

async function loggedIn(system: System, account: Account) {
  const agent = request.agent(system.app);
  const answer = await logIn(agent, account.email, account.password);
  if (answer.status !== 303) throw new Error(`log-in answered ${answer.status}`);
  return agent;
}

const PATHS = ['', '/video.mp4', '/poster.jpg', '/views'] as const;

scopedTest(
  'visibility: a draft is for its creator and admins; an unlisted video for anyone with the link; a deleted one says so, to everyone',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    const creator = await seedAccount(system.db);
    const other = await seedAccount(system.db);
    const admin = await seedAccount(system.db, { roles: ['admin'] });
    const draft = await seedVideo(system, creator.userId, { visibility: 'draft', name: 'Rough cut' });
    const unlisted = await seedVideo(system, creator.userId, { visibility: 'unlisted', name: 'For friends' });
    const deleted = await seedVideo(system, creator.userId, { status: 'deleted', name: '' });
    const viewers = {
      anonymous: request.agent(system.app),
      'another user': await loggedIn(system, other),
      'its creator': await loggedIn(system, creator),
      'an admin': await loggedIn(system, admin),
    };

    for (const [who, agent] of Object.entries(viewers)) {
      const mayWatchDraft = who === 'its creator' || who === 'an admin';
      for (const suffix of PATHS) {
        t.equal(
          (await agent.get(`/videos/${unlisted.videoId}${suffix}`)).status,
          200,
          `unlisted${suffix}, ${who}: 200`,
        );
        t.equal(
          (await agent.get(`/videos/${draft.videoId}${suffix}`)).status,
          mayWatchDraft ? 200 : 404,
          `draft${suffix}, ${who}: ${mayWatchDraft ? 200 : 404}`,
        );
        t.equal((await agent.get(`/videos/${deleted.videoId}${suffix}`)).status, 404, `deleted${suffix}, ${who}: 404`);
      }
    }

    const hidden = await viewers['another user'].get(`/videos/${draft.videoId}`);
    const missing = await viewers['another user'].get(`/videos/${randomUUID()}`);
    t.equal(
      hidden.text.replace(/[0-9a-f-]{36}/g, ''),
      missing.text.replace(/[0-9a-f-]{36}/g, ''),
      'a draft is, to others, exactly as if it were not there',
    );
    t.doesNotMatch(hidden.text, /Rough cut/, 'its name is not given away');

    const own = await viewers['its creator'].get(`/videos/${draft.videoId}`);
    t.match(own.text, /This video is a draft: only you can watch it here/, 'its creator is told it is a draft');
    t.match(own.text, /<meta name="robots" content="noindex">/, 'kept out of search engines');
    t.doesNotMatch(
      own.text,
      /Count my viewing|data-viewing-form/,
      'and offered no viewing to count: a draft has no viewers',
    );
    const shared = await viewers.anonymous.get(`/videos/${unlisted.videoId}`);
    t.match(shared.text, /Count my viewing/, 'an unlisted video has');
    t.match(shared.text, /<meta name="robots" content="noindex">/, 'an unlisted video too');
    t.doesNotMatch(shared.text, /This video is unlisted/, 'a visitor with the link is not told about lists');
    t.match(
      (await viewers['its creator'].get(`/videos/${unlisted.videoId}`)).text,
      /This video is unlisted/,
      'its creator is',
    );

    const gone = await viewers.anonymous.get(`/videos/${deleted.videoId}`);
    t.match(gone.text, /<h1[^>]*>Video deleted<\/h1>/, 'a deleted video’s page is headed so');
    t.match(gone.text, /This video was deleted/, 'and says what happened');
    t.match(gone.text, /href="\/"[^>]*>Browse all videos/, 'and where to go next');
  },
);

scopedTest(
  'visibility: only public videos are listed, on the home page and the channel page; the total views count only those',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    const creator = await seedAccount(system.db);
    await seedProfile(system.db, creator.userId, `chan${randomUUID().slice(0, 8)}`, 'Channel Person');
    const { handle } = await system.db('user_profiles').where({ user_id: creator.userId }).first('handle');
    const shown = await seedVideo(system, creator.userId, { name: 'Shown everywhere', views: 5 });
    const hidden = [
      await seedVideo(system, creator.userId, { visibility: 'draft', name: 'Hidden draft', views: 100 }),
      await seedVideo(system, creator.userId, { visibility: 'unlisted', name: 'Hidden unlisted', views: 100 }),
      await seedVideo(system, creator.userId, { status: 'deleted', name: 'Hidden deleted', views: 100 }),
      await seedVideo(system, creator.userId, { status: 'takenDown', name: 'Hidden taken down', views: 100 }),
    ];

    const home = await request(system.app).get('/').expect(200);
    const channel = await request(system.app).get(`/@${handle}`).expect(200);
    for (const [page, text] of [
      ['home page', home.text],
      ['channel page', channel.text],
    ] as const) {
      t.match(text, new RegExp(shown.videoId), `${page}: the public video is listed`);
      for (const video of hidden)
        t.doesNotMatch(text, new RegExp(`${video.videoId}|${video.name}`), `${page}: not ${video.name}`);
    }
    t.match(channel.text, /<h1[^>]*><bdi>Channel Person<\/bdi><\/h1>/, 'the channel is headed by the display name');
    t.match(channel.text, /5 views of their public videos in all/, 'its total views: the public videos’ only');
  },
);

scopedTest(
  'channel page: public videos newest first, twelve a page, with links between pages; a broken page link is a 400',
  async (t, scope) => {
    const system = scope.add(await createTestSystem({ pageCacheMs: 0 }), (s) => s.stop());
    const creator = await seedAccount(system.db);
    const handle = `pages${randomUUID().slice(0, 8)}`;
    await seedProfile(system.db, creator.userId, handle, 'Prolific');
    const videos: SeededVideo[] = [];
    for (let n = 0; n < 13; n += 1) {
      videos.push(
        await seedVideo(system, creator.userId, {
          name: `Part ${n + 1}`,
          views: 1,
          publishedAt: new Date(Date.UTC(2026, 0, n + 1)),
        }),
      );
    }
    const first = await request(system.app).get(`/@${handle}`).expect(200);
    const listed = (text: string) => [...text.matchAll(/href="\/videos\/([0-9a-f-]{36})"/g)].map((match) => match[1]);
    t.deepEqual(
      listed(first.text),
      videos
        .slice(1)
        .reverse()
        .map((video) => video.videoId),
      'the twelve newest, newest first',
    );
    t.match(first.text, /13 views of their public videos in all/, 'the total counts every page');
    const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    t.ok(next?.startsWith(`/@${handle}?after=`), 'a link to the older ones');
    const second = await request(system.app).get(next!).expect(200);
    t.deepEqual(listed(second.text), [videos[0]!.videoId], 'the oldest on the second page');
    t.doesNotMatch(second.text, /rel="next"/, 'and no further link');
    t.match(second.text, new RegExp(`href="/@${handle}"[^>]*>← Newest videos`), 'a way back to the newest');
    const broken = await request(system.app).get(`/@${handle}?after=garbage`);
    t.equal(broken.status, 400, 'a mangled page link → 400');
    t.match(broken.text, /That page link is broken/, 'saying so');
  },
);
