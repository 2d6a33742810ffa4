import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscriptions } from '../../src/aggregators/definition.ts';
import { ADMIN_USERS_SUBSCRIBER_IDS, adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import { authenticationStreamName } from '../../src/contracts/authentication.ts';
import { viewingStreamName } from '../../src/contracts/viewing.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { Message, MessageStore } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

interface Row {
  user_id: string;
  email: string | null;
  registered_at: Date | null;
  welcome_email_sent_at: Date | null;
  roles: string[];
  log_ins: string;
  failed_log_ins: string;
  last_log_in_at: Date | null;
  videos: string;
  viewings: string;
}

const COLUMNS = [
  'user_id',
  'email',
  'registered_at',
  'welcome_email_sent_at',
  'roles',
  'log_ins',
  'failed_log_ins',
  'last_log_in_at',
  'videos',
  'viewings',
];

const event = (type: string, data: Record<string, unknown>): Message => ({
  id: randomUUID(),
  type,
  data,
  metadata: {},
});

async function write(store: MessageStore, stream: string, ...messages: Message[]) {
  for (const message of messages) await store.write(stream, message);
  return store.readStream(stream, { batchSize: -1 });
}

async function viewing(store: MessageStore, userId: string | null, videoId: string = randomUUID()): Promise<void> {
  await store.write(viewingStreamName(videoId), event('VideoViewed', { videoId, userId }));
}

function aggregator(store: MessageStore, db: Knex, batchSize = 100) {
  return liveSubscriptions(adminUsersDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize },
  });
}

async function catchUp(store: MessageStore, db: Knex, { batchSize = 100, reversed = false } = {}): Promise<void> {
  const subscriptions = [...aggregator(store, db, batchSize)];
  for (const subscription of reversed ? subscriptions.reverse() : subscriptions) await drain(subscription);
}

async function snapshot(db: Knex) {
  return {
    users: await db('admin_users').orderBy('user_id').select<Row[]>(COLUMNS),
    videos: await db('admin_user_videos')
      .orderBy('video_id')
      .select('video_id', 'user_id', 'name', 'status', 'accepted_at', 'global_position'),
    viewings: await db('admin_user_viewings').orderBy('global_position').select('*'),
  };
}

/** A registered admin with a welcome email, two log-ins, a failed one, a log-out, two videos and three viewings. */
async function writeActiveUser(store: MessageStore) {
  const userId = randomUUID();
  const email = uniqueEmail('Active');
  const identity = await write(
    store,
    identityStreamName(userId),
    event('Registered', { userId, email, passwordHash: fakePasswordHash() }),
    event('RegistrationEmailSent', { userId, emailId: randomUUID() }),
    event('AdminRoleGranted', { userId, by: 'test' }),
  );
  const authentication = await write(
    store,
    authenticationStreamName(userId),
    event('UserLoggedIn', { userId }),
    event('UserLoginFailed', { userId, reason: 'wrong password' }),
    event('UserLoggedIn', { userId }),
    event('UserLoggedOut', { userId }),
  );
  const video = { ...newVideo(), ownerId: userId };
  const other = { ...newVideo(), ownerId: userId };
  const published = await writeEvents(
    store,
    video,
    controls.accepted(video),
    controls.started(video),
    controls.named(video, 'Kept name'),
    controls.published(video),
  );
  await writeEvents(store, other, controls.accepted(other));
  for (let n = 0; n < 3; n += 1) await viewing(store, userId, video.videoId);
  return { userId, email, identity, authentication, video, other, published };
}

scopedTest(
  'admin-users: identity, log-ins, videos and viewings → one row per user, each column from its category',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const user = await writeActiveUser(store);
    // Viewings of no account: anonymous, and a viewer named by another writer's own scheme.
    await viewing(store, null);
    await viewing(store, 'legacy-viewer-7');
    await catchUp(store, db);

    const [registered, emailSent] = user.identity;
    const lastLogIn = user.authentication[2]!;
    t.deepEqual(
      await snapshot(db).then((s) => s.users),
      [
        {
          user_id: user.userId,
          email: user.email.toLowerCase(),
          registered_at: registered!.time,
          welcome_email_sent_at: emailSent!.time,
          roles: ['admin'],
          log_ins: '2',
          failed_log_ins: '1',
          last_log_in_at: lastLogIn.time,
          videos: '2',
          viewings: '3',
        },
      ],
      'the row (the email lower-cased, as the site compares addresses); no row for viewers without an account',
    );
    const videos = await db('admin_user_videos')
      .where({ user_id: user.userId })
      .orderBy('global_position')
      .select('video_id', 'name', 'status', 'global_position');
    t.deepEqual(
      videos,
      [
        {
          video_id: user.video.videoId,
          name: 'Kept name',
          status: 'published',
          global_position: String(user.published[0]!.globalPosition),
        },
        { video_id: user.other.videoId, name: null, status: 'uploaded', global_position: videos[1]?.global_position },
      ],
      'their videos, each with its name, status and the position of its acceptance',
    );
    t.equal(
      await db('admin_user_viewings')
        .where({ user_id: user.userId })
        .count({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
      3,
      'their viewings, one row each',
    );

    await write(store, identityStreamName(user.userId), event('AdminRoleRevoked', { userId: user.userId, by: 'test' }));
    await catchUp(store, db);
    t.deepEqual((await db('admin_users').where({ user_id: user.userId }).first<Row>('roles')).roles, [], 'revoked');
  },
);

scopedTest('admin-users: the subscribers may run in any order; none clobbers another’s columns', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const first = openProjectionDb(scope, urls.databaseUrl);
  await writeActiveUser(store);
  await writeActiveUser(store);
  await catchUp(store, first);
  const inOrder = await snapshot(first);

  // The same store, projected afresh with viewings first and identity last.
  await first('subscriber_positions').whereIn('subscriber_id', Object.values(ADMIN_USERS_SUBSCRIBER_IDS)).del();
  await first.raw('TRUNCATE admin_users, admin_user_videos, admin_user_viewings');
  await catchUp(store, first, { reversed: true });
  t.deepEqual(await snapshot(first), inOrder, 'the same rows');
});

scopedTest(
  'admin-users: a replay changes nothing: every position moved back to the start, replayed in other batches',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const user = await writeActiveUser(store);
    await writeActiveUser(store);
    await catchUp(store, db);
    const before = await snapshot(db);

    await db('subscriber_positions').whereIn('subscriber_id', Object.values(ADMIN_USERS_SUBSCRIBER_IDS)).del();
    await catchUp(store, db, { batchSize: 2 });
    t.deepEqual(
      await snapshot(db),
      before,
      'replayed from the start over the rows: nothing counted twice, no column flicks back',
    );

    // Moved back while new events kept coming: the old ones are not counted again, the new ones are.
    await write(store, authenticationStreamName(user.userId), event('UserLoggedIn', { userId: user.userId }));
    await viewing(store, user.userId);
    await db('subscriber_positions').whereIn('subscriber_id', Object.values(ADMIN_USERS_SUBSCRIBER_IDS)).del();
    await catchUp(store, db, { batchSize: 3 });
    const row = await db('admin_users').where({ user_id: user.userId }).first<Row>(COLUMNS);
    t.deepEqual([row.log_ins, row.viewings], ['3', '4'], 'one more log-in and one more viewing');
  },
);

scopedTest(
  'admin-users: an event filed under another user’s stream is skipped and recorded; the rest applies',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const user = await writeActiveUser(store);
    const stranger = randomUUID();
    await write(store, authenticationStreamName(stranger), event('UserLoggedIn', { userId: user.userId }));
    await write(store, authenticationStreamName(user.userId), event('UserLoggedIn', { userId: user.userId }));
    await catchUp(store, db);
    const row = await db('admin_users').where({ user_id: user.userId }).first<Row>(COLUMNS);
    t.equal(row.log_ins, '3', 'the log-in in the user’s own stream counted, the misfiled one not');
    const skipped = await db('skipped_messages').select<{ subscriber_id: string; stream_name: string }[]>(
      'subscriber_id',
      'stream_name',
    );
    t.deepEqual(
      skipped,
      [{ subscriber_id: ADMIN_USERS_SUBSCRIBER_IDS.authentication, stream_name: authenticationStreamName(stranger) }],
      'on record',
    );
  },
);
