import { randomUUID } from 'node:crypto';
import { liveSubscription, liveSubscriptions, projectionOf } from '../../src/aggregators/definition.ts';
import { ADMIN_USERS_SUBSCRIBER_IDS, adminUsersDefinition } from '../../src/aggregators/admin-users/index.ts';
import {
  userCredentialsDefinition,
  USER_CREDENTIALS_SUBSCRIBER_ID,
} from '../../src/aggregators/user-credentials/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData, type Sealed } from '../../src/personal-data/seal.ts';
import { applyProjectionBatch } from '../../src/subscription/projection-batch.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { fakePasswordHash, uniqueEmail } from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** One bit of the ciphertext flipped: the GCM tag no longer matches. */
function tampered(sealed: Sealed): Sealed {
  const data = Buffer.from(sealed.data, 'base64');
  data[0] = data[0]! ^ 1;
  return { ...sealed, data: data.toString('base64') };
}

async function writeSealedRegistered(store: MessageStore, personalData: PersonalData, { alter = false } = {}) {
  const userId = randomUUID();
  const email = uniqueEmail('sealed');
  const sealedEmail = await personalData.seal(userId, email);
  const data = {
    userId,
    email: alter ? tampered(sealedEmail) : sealedEmail,
    passwordHash: await personalData.seal(userId, fakePasswordHash()),
  };
  const id = randomUUID();
  await store.write(identityStreamName(userId), { id, type: 'Registered', data, metadata: {} });
  return { userId, email, id };
}

scopedTest(
  'tampered seal: user-credentials and admin-users skip and record a Registered whose sealed email was altered, and go on',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const broken = await writeSealedRegistered(store, personalData, { alter: true });
    const after = await writeSealedRegistered(store, personalData);

    const settings = { db, messageStore: store, logger: silentLogger, subscription: { retry: FAST_RETRY } };
    const credentials = liveSubscription(userCredentialsDefinition, settings);
    const adminUsers = liveSubscriptions(adminUsersDefinition, settings)[0];
    // A stall makes drain throw.
    await drain(credentials);
    await drain(adminUsers);

    t.deepEqual(
      await db('user_credentials').pluck('user_id'),
      [after.userId],
      'user-credentials: the later user has a row, the altered one none',
    );
    t.equal(
      (await db('admin_users').where({ user_id: after.userId }).first<{ email: string }>('email'))?.email,
      after.email,
      'admin-users: the later user is shown',
    );
    t.notOk(await db('admin_users').where({ user_id: broken.userId }).first('user_id'), 'and the altered one not');
    for (const subscription of [credentials, adminUsers])
      t.notEqual(subscription.status().state, 'stalled', `${subscription.subscriberId} is not stalled`);

    const skipped = await db('skipped_messages')
      .orderBy('subscriber_id')
      .select<{ subscriber_id: string; message_id: string; reason: string }[]>('subscriber_id', 'message_id', 'reason');
    t.deepEqual(
      skipped.map((row) => [row.subscriber_id, row.message_id]),
      [
        [ADMIN_USERS_SUBSCRIBER_IDS.identity, broken.id],
        [USER_CREDENTIALS_SUBSCRIBER_ID, broken.id],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
      'each records the altered message in skipped_messages',
    );
    t.ok(
      skipped.every((row) => /email: the sealed value does not open/.test(row.reason)),
      'saying which field did not open',
    );
    t.notOk(
      skipped.some((row) => row.reason.includes(broken.email)),
      'and not the address',
    );

    // A rebuild takes the live subscribers' path: the altered event is skipped there too, not passed over unsaid.
    const projection = projectionOf(userCredentialsDefinition, USER_CREDENTIALS_SUBSCRIBER_ID);
    const stream = await store.readStream(identityStreamName(broken.userId));
    const owner = { subscriber_id: USER_CREDENTIALS_SUBSCRIBER_ID, group_member: 0, group_size: 1 };
    const onRebuild = await db.transaction((trx) => applyProjectionBatch(projection, stream, trx, owner));
    t.deepEqual(
      onRebuild.map((skip) => [skip.message.id, skip.newlyRecorded]),
      [[broken.id, false]],
      'the rebuild path skips it as well (already on record)',
    );
  },
);
