import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscription, projectionOf } from '../../src/aggregators/definition.ts';
import {
  userCredentialsDefinition,
  USER_CREDENTIALS_SUBSCRIBER_ID,
} from '../../src/aggregators/user-credentials/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

interface Row {
  user_id: string;
  email: string;
  password_hash: string;
  registered_at: Date;
  roles: string[];
  password_version: number;
  password_changed_position: string;
}

async function writeRegistered(store: MessageStore): Promise<{ userId: string; email: string; passwordHash: string }> {
  const data = { userId: randomUUID(), email: uniqueEmail(), passwordHash: fakePasswordHash() };
  await store.write(identityStreamName(data.userId), { id: randomUUID(), type: 'Registered', data, metadata: {} });
  return data;
}

async function writeRole(
  store: MessageStore,
  userId: string,
  type: 'AdminRoleGranted' | 'AdminRoleRevoked',
): Promise<void> {
  await store.write(identityStreamName(userId), { id: randomUUID(), type, data: { userId, by: 'test' }, metadata: {} });
}

function aggregator(store: MessageStore, db: Knex) {
  return liveSubscription(userCredentialsDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY },
  });
}

async function rows(db: Knex): Promise<Row[]> {
  return db('user_credentials').orderBy('email').select<Row[]>('*');
}

scopedTest(
  'user-credentials: Registered → a row with the id, email, hash and the time it was registered',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const user = await writeRegistered(store);
    // Other identity events pass by without a row of their own.
    await store.write(identityStreamName(randomUUID()), {
      id: randomUUID(),
      type: 'RegistrationRejected',
      data: { userId: randomUUID(), email: 'x@example.com', reason: 'email already registered' },
      metadata: {},
    });
    await drain(scope.running(aggregator(store, db)));

    const [event] = await store.readStream(identityStreamName(user.userId));
    t.deepEqual(await rows(db), [
      {
        user_id: user.userId,
        email: user.email,
        password_hash: user.passwordHash,
        registered_at: event!.time,
        roles: [],
        password_version: 0,
        password_changed_position: '0',
        email_verified: false,
      },
    ]);
  },
);

scopedTest('user-credentials: AdminRoleGranted and AdminRoleRevoked set the roles', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const subscription = aggregator(store, db);
  scope.running(subscription);
  const user = await writeRegistered(store);
  const roles = async () => (await db('user_credentials').where({ user_id: user.userId }).first<Row>('roles')).roles;

  await writeRole(store, user.userId, 'AdminRoleGranted');
  await drain(subscription);
  t.deepEqual(await roles(), ['admin'], 'granted');
  await writeRole(store, user.userId, 'AdminRoleGranted');
  await drain(subscription);
  t.deepEqual(await roles(), ['admin'], 'granted twice: still one admin role');
  await writeRole(store, user.userId, 'AdminRoleRevoked');
  await drain(subscription);
  t.deepEqual(await roles(), [], 'revoked');
});

scopedTest('user-credentials: a replay changes nothing', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const admin = await writeRegistered(store);
  await writeRole(store, admin.userId, 'AdminRoleGranted');
  const former = await writeRegistered(store);
  await writeRole(store, former.userId, 'AdminRoleGranted');
  await writeRole(store, former.userId, 'AdminRoleRevoked');
  const newHash = fakePasswordHash();
  await store.write(identityStreamName(admin.userId), {
    id: randomUUID(),
    type: 'PasswordChanged',
    data: { userId: admin.userId, passwordHash: newHash, how: 'changed' },
    metadata: {},
  });
  await drain(scope.running(aggregator(store, db)));
  const before = await rows(db);
  const changed = before.find((row) => row.user_id === admin.userId);
  t.deepEqual(
    [changed?.password_hash, changed?.password_version],
    [newHash, 1],
    'PasswordChanged: the new hash, one change counted',
  );
  t.deepEqual(
    before.map((row) => row.roles),
    before.map((row) => (row.user_id === admin.userId ? ['admin'] : [])),
    'roles as the events say',
  );

  // The same batch again, as after a crash that lost the position (the stored one still guards it)…
  const batch = await store.readCategory('identity');
  const projection = projectionOf(userCredentialsDefinition, USER_CREDENTIALS_SUBSCRIBER_ID);
  await createAggregatorProcessor({ db, subscriberId: USER_CREDENTIALS_SUBSCRIBER_ID, projection }).process(
    batch,
    0,
    processorContext(),
  );
  t.deepEqual(await rows(db), before, 'a redelivered batch changes nothing');

  // …and a replay from the start with the position gone: each row write is idempotent by itself.
  await db('subscriber_positions').where({ subscriber_id: USER_CREDENTIALS_SUBSCRIBER_ID }).del();
  const replay = aggregator(store, db);
  // A write that failed on the existing rows would stall the aggregator, and drain() would throw.
  await drain(scope.running(replay));
  t.equal(replay.status().position, batch.at(-1)!.globalPosition, 'the replay read to the end');
  t.deepEqual(await rows(db), before, 'the rows are as they were');
});

scopedTest(
  'user-credentials: EmailVerified confirms the address, EmailChanged moves the row to the new one (confirmed); a rebuild from the start agrees',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const ada = await writeRegistered(store);
    const lin = await writeRegistered(store);
    const requestId = randomUUID();
    const newEmail = uniqueEmail('new');
    await store.write(identityStreamName(ada.userId), {
      id: randomUUID(),
      type: 'EmailVerified',
      data: { userId: ada.userId, requestId },
      metadata: {},
    });
    await store.write(identityStreamName(lin.userId), {
      id: randomUUID(),
      type: 'EmailChanged',
      data: { userId: lin.userId, requestId, email: newEmail, previousEmail: lin.email },
      metadata: {},
    });
    await drain(scope.running(aggregator(store, db)));
    const byUser = async () =>
      Object.fromEntries(
        (
          await db('user_credentials').select<{ user_id: string; email: string; email_verified: boolean }[]>(
            'user_id',
            'email',
            'email_verified',
          )
        ).map((row) => [row.user_id, [row.email, row.email_verified]]),
      );
    const live = await byUser();
    t.deepEqual(
      live,
      { [ada.userId]: [ada.email, true], [lin.userId]: [newEmail, true] },
      'Ada is confirmed; Lin logs in with her new, confirmed address',
    );

    // The same definition, applied again from the first message over the same rows, changes nothing.
    await db('user_credentials').delete();
    const projection = projectionOf(userCredentialsDefinition, USER_CREDENTIALS_SUBSCRIBER_ID);
    const processor = createAggregatorProcessor({ db, subscriberId: 'test:rebuild-user-credentials', projection });
    await processor.process(await store.readCategory('identity'), 0, processorContext());
    t.deepEqual(await byUser(), live, 'rebuilt from the messages: the same rows');
  },
);
