import bcrypt from 'bcrypt';
import { liveSubscription, liveSubscriptions } from '../../src/aggregators/definition.ts';
import { userCredentialsDefinition } from '../../src/aggregators/user-credentials/index.ts';
import { videosDefinition } from '../../src/aggregators/videos/index.ts';
import { identityCommandStreamName } from '../../src/contracts/identity.ts';
import { createIdentityCommandSubscription } from '../../src/components/identity/index.ts';
import { publishVideoControl } from '../../src/components/video-publishing/controls.ts';
import { videoPublishingCommandStreamName } from '../../src/contracts/video-publishing.ts';
import { DEMO_ACCOUNT, SAMPLE_VIDEOS, seedDemo, type SeedDemoDeps } from '../../src/demo/index.ts';
import { sampleCommands } from '../../src/demo/sample-commands.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { videoPublishing, videoStoreIn, writeCommand } from '../fixtures/video-publishing-component.ts';
import { FFMPEG, tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { createAccountLinks } from '../../src/account-links/index.ts';

const links = createAccountLinks('the app cookie key');

function deps(messageStore: MessageStore, videoStore: VideoStore, extra: Partial<SeedDemoDeps> = {}): SeedDemoDeps {
  return { messageStore, videoStore, ffmpegPath: FFMPEG, logger: silentLogger, bcryptCost: 4, ...extra };
}

/** Every command type in the category, counted. */
async function commandCounts(store: MessageStore): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const command of await store.readCategory('videoPublishing:command'))
    counts[command.type] = (counts[command.type] ?? 0) + 1;
  return counts;
}

scopedTest(
  'seedDemo: run twice → the demo creator asked to register once, three videos sent once each, their sources in the store',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const videoStore = videoStoreIn(await tempDir(scope));
    const first = await seedDemo(deps(store, videoStore));
    const second = await seedDemo(deps(store, videoStore));

    t.equal(first.written.length, 10, 'the first run wrote a Register and three commands per video');
    t.deepEqual(second, { written: [] }, 'the second wrote nothing');
    t.deepEqual(
      await commandCounts(store),
      { PublishVideo: 3, NameVideo: 3, DescribeVideo: 3 },
      'three videos published, named and described',
    );
    const register = await store.readStream(identityCommandStreamName(DEMO_ACCOUNT.userId));
    t.deepEqual(
      register.map((command) => command.type),
      ['Register'],
      'one Register',
    );
    const data = register[0]?.data as { email: string; passwordHash: string };
    t.equal(data.email, DEMO_ACCOUNT.email, 'for the demo email');
    t.ok(await bcrypt.compare(DEMO_ACCOUNT.password, data.passwordHash), 'with the demo password, hashed');
    for (const sample of SAMPLE_VIDEOS) {
      const [publish] = await store.readStream(videoPublishingCommandStreamName(sample.videoId));
      t.deepEqual(
        publish?.metadata,
        { traceId: publish?.metadata.traceId, userId: DEMO_ACCOUNT.userId, schemaVersion: '1' },
        `${sample.name}: sent by the demo creator, with a trace`,
      );
      t.ok((await videoStore.stat(`video-store:${videoKeys.source(sample.videoId)}`))?.bytes, 'its source file stored');
    }
  },
);

scopedTest(
  'seedDemo: at start-up it leaves a store with videos alone, finishes a seeding cut short, and on demand adds the samples anyway',
  async (t, scope) => {
    const videoStore = videoStoreIn(await tempDir(scope));
    const { store: busy } = await openTestStore(scope);
    await writeCommand(busy, publishVideoControl());
    t.deepEqual(
      await seedDemo(deps(busy, videoStore)),
      { written: [], skipped: 'the store has videos already' },
      'a creator has sent a video: nothing seeded',
    );
    await seedDemo(deps(busy, videoStore, { onlyIntoEmptyStore: false }));
    t.deepEqual(
      await commandCounts(busy),
      { PublishVideo: 4, NameVideo: 3, DescribeVideo: 3 },
      'npm run seed adds the three samples',
    );

    // A run stopped just after the first PublishVideo: the next start sends the rest, and only the rest.
    const { store: cut } = await openTestStore(scope);
    const [publish] = sampleCommands(SAMPLE_VIDEOS[0]!);
    await cut.write(videoPublishingCommandStreamName(publish.data.videoId), publish, -1);
    const resumed = await seedDemo(deps(cut, videoStore));
    t.deepEqual(
      resumed.written
        .filter((message) => message.streamName === videoPublishingCommandStreamName(publish.data.videoId))
        .map((message) => message.type),
      ['NameVideo', 'DescribeVideo'],
      'the first video named and described',
    );
    t.deepEqual(
      await commandCounts(cut),
      { PublishVideo: 3, NameVideo: 3, DescribeVideo: 3 },
      'and the other two sent whole',
    );
  },
);

scopedTest(
  'seedDemo: with the components running, the demo creator can log in and three named videos are published in the catalog',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const videoStore = videoStoreIn(await tempDir(scope));
    const settings = { retry: FAST_RETRY, pollIntervalMs: 50 };
    // The component's subscriptions stop with the scope already; the others are added to it here.
    const component = videoPublishing(scope, store, videoStore);
    for (const subscription of component.subscriptions) subscription.start();
    const subscriptions = [
      createIdentityCommandSubscription({
        messageStore: store,
        logger: silentLogger,
        subscription: settings,
        accountLinks: links,
      }),
      liveSubscription(userCredentialsDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        subscription: settings,
      }),
      ...liveSubscriptions(videosDefinition, { db, messageStore: store, logger: silentLogger, subscription: settings }),
    ];
    for (const subscription of subscriptions) scope.running(subscription).start();

    await seedDemo(deps(store, videoStore, { accountLinks: links }));
    const catalog = await waitUntil(
      'the three demo videos in the catalog',
      async () => {
        const rows = await db('videos')
          .where({ status: 'published' })
          .whereNotNull('name')
          .orderBy('name')
          .select<{ name: string; owner_id: string; width: number }[]>('name', 'owner_id', 'width');
        return rows.length === 3 && rows;
      },
      // Three real transcodes: a loaded machine takes far longer than a quiet one.
      { timeoutMs: 90_000, intervalMs: 100 },
    );
    t.deepEqual(
      catalog.map((video) => video.name),
      SAMPLE_VIDEOS.map((sample) => sample.name).sort(),
      'published under their names',
    );
    t.ok(
      catalog.every((video) => video.owner_id === DEMO_ACCOUNT.userId && video.width === 640),
      'by the demo creator, at 640×360',
    );
    const credentials = await waitUntil('the demo account', () =>
      db('user_credentials')
        .where({ email: DEMO_ACCOUNT.email })
        .first<{ user_id: string; password_hash: string } | undefined>('user_id', 'password_hash'),
    );
    t.equal(credentials.user_id, DEMO_ACCOUNT.userId, 'registered');
    t.ok(await bcrypt.compare(DEMO_ACCOUNT.password, credentials.password_hash), 'and the printed password logs in');
    await waitUntil('the demo address confirmed, so the demo creator can upload', async () => {
      const row = await db('user_credentials')
        .where({ user_id: DEMO_ACCOUNT.userId })
        .first<{ email_verified: boolean } | undefined>('email_verified');
      return row?.email_verified === true;
    });
    t.pass('the demo creator’s address is confirmed with the app’s own link');
  },
);
