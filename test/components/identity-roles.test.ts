import { randomUUID } from 'node:crypto';
import test from 'tape';
import { identityRoleChangeStreamName, identityStreamName, REJECTION_REASONS } from '../../src/components/identity/contract.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { createScope } from '../helpers/scope.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { recordingStore, registerCommand, typesIn, writeRegister, writeRoleCommand } from '../fixtures/identity-controls.ts';

function identity(messageStore: MessageStore) {
  return createIdentityComponent({ messageStore, logger: silentLogger, siteUrl: 'http://localhost:3000', subscription: { retry: FAST_RETRY } });
}

/** A registered user: its id and the address it registered with. */
async function registeredUser(store: MessageStore): Promise<{ userId: string; email: string }> {
  const command = registerCommand();
  await identity(store).handlers.commands(await writeRegister(store, command));
  return { userId: command.data.userId, email: command.data.email };
}

async function outcomeOf(store: MessageStore, commandId: string) {
  const messages = await store.readStream(identityRoleChangeStreamName(commandId));
  return messages.map((message) => ({ type: message.type, data: message.data }));
}

test('identity: GrantAdminRole by email → AdminRoleGranted on the user, and the outcome on the command\'s stream', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const { handlers } = identity(store);
    const { userId, email } = await registeredUser(store);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email.toUpperCase());
    await handlers.commands(grant);

    const events = await store.readStream(identityStreamName(userId));
    t.deepEqual(events.map((m) => [m.type, m.data]), [['Registered', events[0]!.data], ['AdminRoleGranted', { userId, by: 'test' }]]);
    t.deepEqual(await outcomeOf(store, grant.id), [
      { type: 'AdminRoleChangeCompleted', data: { commandId: grant.id, userId, email, change: 'grant', alreadyInEffect: false } },
    ], 'the email is matched however it is spelled; the outcome names the user');
  } finally {
    await scope.close();
  }
});

test('identity: a role command delivered twice writes nothing the second time', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const { userId, email } = await registeredUser(store);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    await handlers.commands(grant);
    const attempts = recording.attempts.length;
    await handlers.commands(grant);
    t.equal(recording.attempts.length, attempts, 'the outcome was there: no write tried');
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted']);
    t.equal((await outcomeOf(store, grant.id)).length, 1, 'one outcome');
  } finally {
    await scope.close();
  }
});

test('identity: a role command delivered twice at once: one role event, one outcome, and neither delivery fails', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope, undefined, { max: 6 });
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const { userId, email } = await registeredUser(store);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    recording.holdWrites(2);
    await Promise.all([handlers.commands(grant), handlers.commands(grant)]);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted']);
    t.equal((await outcomeOf(store, grant.id)).length, 1, 'one outcome');
  } finally {
    await scope.close();
  }
});

test('identity: a role command that stopped between its two writes finishes on redelivery, without a second role event', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const { userId, email } = await registeredUser(store);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    recording.failNext('AdminRoleChangeCompleted');
    await handlers.commands(grant).then(
      () => t.fail('the simulated crash should surface'),
      () => t.pass('the first attempt fails after AdminRoleGranted'),
    );
    await handlers.commands(grant);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted'], 'one AdminRoleGranted');
    t.deepEqual((await outcomeOf(store, grant.id))[0]?.data, { commandId: grant.id, userId, email, change: 'grant', alreadyInEffect: false }, 'reported as this command\'s change, not as "already an admin"');
  } finally {
    await scope.close();
  }
});

test('identity: granting an admin, or revoking a non-admin, changes nothing and says so', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const { handlers } = identity(store);
    const { userId, email } = await registeredUser(store);
    const revokeFirst = await writeRoleCommand(store, 'RevokeAdminRole', email);
    await handlers.commands(revokeFirst);
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    await handlers.commands(grant);
    const grantAgain = await writeRoleCommand(store, 'GrantAdminRole', email);
    await handlers.commands(grantAgain);
    const revoke = await writeRoleCommand(store, 'RevokeAdminRole', email);
    await handlers.commands(revoke);

    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered', 'AdminRoleGranted', 'AdminRoleRevoked'], 'one grant, one revoke');
    const inEffect = async (commandId: string) => ((await outcomeOf(store, commandId))[0]?.data as { alreadyInEffect: boolean }).alreadyInEffect;
    t.equal(await inEffect(revokeFirst.id), true, 'revoking a user who is no admin: already in effect');
    t.equal(await inEffect(grant.id), false);
    t.equal(await inEffect(grantAgain.id), true, 'granting an admin: already in effect');
    t.equal(await inEffect(revoke.id), false);
  } finally {
    await scope.close();
  }
});

test('identity: a role command for an email nobody registered is rejected on the command\'s stream', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const { handlers } = identity(store);
    const email = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const grant = await writeRoleCommand(store, 'GrantAdminRole', email);
    await handlers.commands(grant);
    await handlers.commands(grant);
    t.deepEqual(await outcomeOf(store, grant.id), [
      { type: 'AdminRoleChangeRejected', data: { commandId: grant.id, email, change: 'grant', reason: REJECTION_REASONS.unknownEmail } },
    ], 'one rejection, however often delivered');
  } finally {
    await scope.close();
  }
});
