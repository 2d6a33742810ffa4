import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscription } from '../../src/aggregators/definition.ts';
import { userProfilesDefinition } from '../../src/aggregators/user-profiles/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { generatedHandle } from '../../src/contracts/profile-rules.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';

function aggregator(store: MessageStore, db: Knex) {
  return liveSubscription(userProfilesDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY },
  });
}

async function write(store: MessageStore, userId: string, type: string, data: Record<string, unknown>): Promise<void> {
  await store.write(identityStreamName(userId), { id: randomUUID(), type, data: { userId, ...data }, metadata: {} });
}

async function writeRegistered(
  store: MessageStore,
  personalData: PersonalData,
  names?: { displayName: string; handle: string },
): Promise<string> {
  const userId = randomUUID();
  const sealedNames = names && {
    displayName: await personalData.seal(userId, names.displayName),
    handle: await personalData.seal(userId, names.handle),
  };
  await write(store, userId, 'Registered', {
    email: await personalData.seal(userId, uniqueEmail()),
    passwordHash: await personalData.seal(userId, fakePasswordHash()),
    ...sealedNames,
  });
  return userId;
}

const rowsOf = async (db: Knex) =>
  db('user_profiles').orderBy('display_name').select('user_id', 'display_name', 'handle');

scopedTest(
  'user-profiles: Registered (with names, or from before them), then a new name and handle, then erasure; replayed from the start, the same rows',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const ada = await writeRegistered(store, personalData, { displayName: 'Ada Lovelace', handle: 'ada' });
    const legacy = await writeRegistered(store, personalData);
    const erased = await writeRegistered(store, personalData, { displayName: 'Gone Soon', handle: 'gone' });
    await write(store, ada, 'HandleChanged', {
      handle: await personalData.seal(ada, 'ada-king'),
      previous: await personalData.seal(ada, 'ada'),
    });
    await write(store, ada, 'DisplayNameChanged', { displayName: await personalData.seal(ada, 'Ada King') });
    await drain(scope.running(aggregator(store, db)));

    const expected = [
      { user_id: ada, display_name: 'Ada King', handle: 'ada-king' },
      { user_id: erased, display_name: 'Gone Soon', handle: 'gone' },
      {
        user_id: legacy,
        display_name: `creator-${legacy.replaceAll('-', '').slice(0, 6)}`,
        handle: generatedHandle(legacy),
      },
    ];
    t.deepEqual(
      await rowsOf(db),
      expected,
      'opened with each user key; the generated pair for a user from before names',
    );

    await personalData.erase(erased);
    await write(store, erased, 'UserErased', { by: randomUUID() });
    await drain(aggregator(store, db));
    t.deepEqual(await rowsOf(db), [expected[0], expected[2]], 'the erased user’s row is gone');

    // A rebuild reads everything again: the erased user's names no longer open, so no row comes back for them.
    await db('user_profiles').delete();
    await db('subscriber_positions').where('subscriber_id', 'like', 'aggregators:user-profiles%').delete();
    await drain(aggregator(store, db));
    t.deepEqual(await rowsOf(db), [expected[0], expected[2]], 'the same rows from zero');
  },
);

scopedTest(
  'user-profiles: a handle given to a new user before the old holder’s erasure is applied moves to the new user',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const old = await writeRegistered(store, personalData, { displayName: 'Old', handle: 'shared' });
    await drain(aggregator(store, db));
    // The erasure deletes the key first, and a new registration may claim the handle before UserErased is written.
    await personalData.erase(old);
    const next = await writeRegistered(store, personalData, { displayName: 'New', handle: 'shared' });
    await drain(aggregator(store, db));
    t.deepEqual(
      await db('user_profiles').where({ handle: 'shared' }).pluck('user_id'),
      [next],
      'the handle is the new user’s',
    );
    await write(store, old, 'UserErased', { by: randomUUID() });
    await drain(aggregator(store, db));
    t.deepEqual(await db('user_profiles').pluck('user_id'), [next], 'and the old row goes with its erasure');
  },
);
