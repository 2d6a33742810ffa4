import { randomUUID } from 'node:crypto';
import { identityRoleChangeStreamName, identityStreamName, REJECTION_REASONS } from '../../src/contracts/identity.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData, type Sealed } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import {
  recordingStore,
  registerCommand,
  typesIn,
  writeRegister,
  writeRoleCommand,
} from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

function identity(messageStore: MessageStore, personalData?: PersonalData) {
  return createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: 'http://localhost:3000',
    personalData,
    subscription: { retry: FAST_RETRY },
  });
}

/** A store, and the key store of the app database beside it, closed with the scope. */
async function openStores(
  scope: Scope,
  options?: { max: number },
): Promise<{ store: MessageStore; personalData: PersonalData }> {
  const { store, urls } = await openTestStore(scope, undefined, options);
  return { store, personalData: createPersonalData(openProjectionDb(scope, urls.databaseUrl)) };
}

/** A registered user: its id, the address it registered with, and that address sealed as the admin CLI names them. */
async function registeredUser(
  store: MessageStore,
  personalData: PersonalData,
): Promise<{ userId: string; email: string; named: { userId: string; email: Sealed } }> {
  const command = registerCommand();
  await identity(store, personalData).handlers.commands(await writeRegister(store, command));
  const { userId, email } = command.data;
  return { userId, email, named: { userId, email: await personalData.seal(userId, email) } };
}

async function outcomeOf(store: MessageStore, commandId: string) {
  const messages = await store.readStream(identityRoleChangeStreamName(commandId));
  return messages.map((message) => ({ type: message.type, data: message.data }));
}

scopedTest(
  "identity: GrantAdminRole naming the user by id → AdminRoleGranted on the user, the outcome on the command's stream, no plain address anywhere",
  async (t, scope) => {
    const { store, personalData } = await openStores(scope);
    const { handlers } = identity(store, personalData);
    const { userId, email, named } = await registeredUser(store, personalData);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', named);
    await handlers.commands(grant);

    const events = await store.readStream(identityStreamName(userId));
    t.deepEqual(
      events.map((m) => [m.type, m.data]),
      [
        ['Registered', events[0]!.data],
        ['AdminRoleGranted', { userId, by: 'test' }],
      ],
    );
    t.deepEqual(
      await outcomeOf(store, grant.id),
      [
        {
          type: 'AdminRoleChangeCompleted',
          data: { commandId: grant.id, userId, change: 'grant', alreadyInEffect: false },
        },
      ],
      'the outcome names the user by id',
    );
    t.notOk(
      JSON.stringify([grant.data, await outcomeOf(store, grant.id)]).includes(email),
      'neither the command nor its outcome holds the address in plain text',
    );
  },
);

scopedTest('identity: a role command delivered twice writes nothing the second time', async (t, scope) => {
  const { store, personalData } = await openStores(scope);
  const recording = recordingStore(store);
  const { handlers } = identity(recording, personalData);
  const { userId, named } = await registeredUser(store, personalData);
  const grant = await writeRoleCommand(store, 'GrantAdminRole', named);
  await handlers.commands(grant);
  const attempts = recording.attempts.length;
  await handlers.commands(grant);
  t.equal(recording.attempts.length, attempts, 'the outcome was there: no write tried');
  t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted']);
  t.equal((await outcomeOf(store, grant.id)).length, 1, 'one outcome');
});

scopedTest(
  'identity: a role command delivered twice at once: one role event, one outcome, and neither delivery fails',
  async (t, scope) => {
    const { store, personalData } = await openStores(scope, { max: 6 });
    const recording = recordingStore(store);
    const { handlers } = identity(recording, personalData);
    const { userId, named } = await registeredUser(store, personalData);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', named);
    recording.holdWrites(2);
    await Promise.all([handlers.commands(grant), handlers.commands(grant)]);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted']);
    t.equal((await outcomeOf(store, grant.id)).length, 1, 'one outcome');
  },
);

scopedTest(
  'identity: a role command that stopped between its two writes finishes on redelivery, without a second role event',
  async (t, scope) => {
    const { store, personalData } = await openStores(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording, personalData);
    const { userId, named } = await registeredUser(store, personalData);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', named);
    recording.failNext('AdminRoleChangeCompleted');
    await handlers.commands(grant).then(
      () => t.fail('the simulated crash should surface'),
      () => t.pass('the first attempt fails after AdminRoleGranted'),
    );
    await handlers.commands(grant);
    t.deepEqual(
      await typesIn(store, identityStreamName(userId)),
      ['Registered', 'AdminRoleGranted'],
      'one AdminRoleGranted',
    );
    t.deepEqual(
      (await outcomeOf(store, grant.id))[0]?.data,
      { commandId: grant.id, userId, change: 'grant', alreadyInEffect: false },
      'reported as this command\'s change, not as "already an admin"',
    );
  },
);

scopedTest('identity: granting an admin, or revoking a non-admin, changes nothing and says so', async (t, scope) => {
  const { store, personalData } = await openStores(scope);
  const { handlers } = identity(store, personalData);
  const { userId, named } = await registeredUser(store, personalData);
  const revokeFirst = await writeRoleCommand(store, 'RevokeAdminRole', named);
  await handlers.commands(revokeFirst);
  const grant = await writeRoleCommand(store, 'GrantAdminRole', named);
  await handlers.commands(grant);
  const grantAgain = await writeRoleCommand(store, 'GrantAdminRole', named);
  await handlers.commands(grantAgain);
  const revoke = await writeRoleCommand(store, 'RevokeAdminRole', named);
  await handlers.commands(revoke);

  t.deepEqual(
    await typesIn(store, identityStreamName(userId)),
    ['Registered', 'AdminRoleGranted', 'AdminRoleRevoked'],
    'one grant, one revoke',
  );
  const inEffect = async (commandId: string) =>
    ((await outcomeOf(store, commandId))[0]?.data as { alreadyInEffect: boolean }).alreadyInEffect;
  t.equal(await inEffect(revokeFirst.id), true, 'revoking a user who is no admin: already in effect');
  t.equal(await inEffect(grant.id), false);
  t.equal(await inEffect(grantAgain.id), true, 'granting an admin: already in effect');
  t.equal(await inEffect(revoke.id), false);
});

scopedTest(
  'identity: a role command for an erased user, or whose sealed address another user holds, is rejected without a role event',
  async (t, scope) => {
    const { store, personalData } = await openStores(scope);
    const { handlers } = identity(store, personalData);
    const erased = await registeredUser(store, personalData);
    await personalData.erase(erased.userId);
    const grantErased = await writeRoleCommand(store, 'GrantAdminRole', erased.named);
    await handlers.commands(grantErased);
    await handlers.commands(grantErased);
    t.deepEqual(
      await outcomeOf(store, grantErased.id),
      [
        {
          type: 'AdminRoleChangeRejected',
          data: {
            commandId: grantErased.id,
            userId: erased.userId,
            change: 'grant',
            reason: REJECTION_REASONS.notRegistered,
          },
        },
      ],
      'the address no longer opens: one rejection, however often delivered',
    );

    const owner = await registeredUser(store, personalData);
    const other = await registeredUser(store, personalData);
    // other's id with owner's address sealed under other's key: other does not hold that address.
    const mismatched = await writeRoleCommand(store, 'GrantAdminRole', {
      userId: other.userId,
      email: await personalData.seal(other.userId, owner.email),
    });
    await handlers.commands(mismatched);
    t.equal(
      (await outcomeOf(store, mismatched.id))[0]?.type,
      'AdminRoleChangeRejected',
      'a user is granted only by the address they hold',
    );
    t.deepEqual(
      await typesIn(store, identityStreamName(other.userId)),
      ['Registered'],
      'no role event for the user named',
    );
    t.deepEqual(await typesIn(store, identityStreamName(owner.userId)), ['Registered'], "nor for the address's holder");
  },
);

scopedTest(
  'identity: an older role command naming the user by plain email is still decided, matched however it is spelled',
  async (t, scope) => {
    const { store, personalData } = await openStores(scope);
    const { handlers } = identity(store, personalData);
    const { userId, email } = await registeredUser(store, personalData);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email.toUpperCase());
    await handlers.commands(grant);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted']);
    t.deepEqual(
      await outcomeOf(store, grant.id),
      [
        {
          type: 'AdminRoleChangeCompleted',
          data: { commandId: grant.id, email, userId, change: 'grant', alreadyInEffect: false },
        },
      ],
      'its outcome names the user as it did, by email, and by id',
    );
  },
);

scopedTest(
  "identity: an older role command for an email nobody registered is rejected on the command's stream",
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const { handlers } = identity(store);
    const email = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    await handlers.commands(grant);
    await handlers.commands(grant);
    t.deepEqual(
      await outcomeOf(store, grant.id),
      [
        {
          type: 'AdminRoleChangeRejected',
          data: { commandId: grant.id, email, change: 'grant', reason: REJECTION_REASONS.unknownEmail },
        },
      ],
      'one rejection, however often delivered',
    );
  },
);
