import { randomUUID } from 'node:crypto';
import {
  IDENTITY_CATEGORY,
  IDENTITY_EMAIL_CATEGORY,
  identityEmailStreamName,
  identityStreamName,
  REJECTION_REASONS,
} from '../../src/contracts/identity.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  capturingLogger,
  fakePasswordHash,
  recordingStore,
  registerCommand,
  typesIn,
  uniqueEmail,
  writeRegister,
} from '../fixtures/identity-controls.ts';

const SITE_URL = 'http://localhost:3000';

function identity(messageStore: MessageStore, logger = silentLogger) {
  return createIdentityComponent({
    messageStore,
    logger,
    siteUrl: SITE_URL,
    subscription: { retry: FAST_RETRY, pollIntervalMs: 50 },
  });
}

scopedTest(
  'identity: Register → EmailReserved for the user, then Registered with the normalised email',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const command = registerCommand({ email: 'New.User@Example.COM' });
    const { userId, passwordHash } = command.data;
    await writeRegister(store, command);
    const [commands] = identity(store).subscriptions;
    await drain(scope.running(commands!));

    const [registered] = await store.readStream(identityStreamName(userId));
    t.equal(registered?.type, 'Registered');
    t.deepEqual(
      registered?.data,
      { userId, email: 'new.user@example.com', passwordHash },
      'the address as the site compares it, and the hash',
    );
    t.equal(registered?.metadata.traceId, command.metadata.traceId, 'the trace carries on');
    t.equal(registered?.metadata.causationMessageStreamName, `identity:command-${userId}`, 'caused by the command');
    const reservations = await store.readStream(identityEmailStreamName('new.user@example.com'));
    t.deepEqual(
      reservations.map((message) => [message.type, message.data]),
      [['EmailReserved', { email: 'new.user@example.com', userId }]],
      'the address is reserved for this user',
    );
  },
);

scopedTest(
  'identity: the same Register delivered twice writes nothing the second time (not even an attempt)',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const command = await writeRegister(store);
    const { userId, email } = command.data as { userId: string; email: string };
    await handlers.commands(command);
    const firstAttempts = recording.attempts.length;
    await handlers.commands(command);

    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered'], 'one Registered');
    t.deepEqual(await typesIn(store, identityEmailStreamName(email)), ['EmailReserved'], 'one reservation');
    t.equal(
      recording.attempts.length,
      firstAttempts,
      'the second delivery found the user registered and wrote nothing',
    );
  },
);

scopedTest(
  'identity: the same Register delivered twice at once: one Registered, and neither delivery fails',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const command = await writeRegister(store);
    // Both pass the "already registered?" check; the answer's id, derived from the command, makes the second write the first.
    recording.holdWrites(2);
    await Promise.all([handlers.commands(command), handlers.commands(command)]);
    t.deepEqual(
      await typesIn(store, identityStreamName((command.data as { userId: string }).userId)),
      ['Registered'],
      'one Registered',
    );
  },
);

scopedTest('identity: a rejected Register delivered again is not rejected twice', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const recording = recordingStore(store);
  const { handlers } = identity(recording);
  const email = uniqueEmail();
  await handlers.commands(await writeRegister(store, registerCommand({ email })));
  const loser = await writeRegister(store, registerCommand({ email }));
  const loserId = (loser.data as { userId: string }).userId;
  await handlers.commands(loser);
  const before = recording.attempts.length;
  await handlers.commands(loser);

  const stream = await store.readStream(identityStreamName(loserId));
  t.deepEqual(
    stream.map((message) => message.type),
    ['RegistrationRejected'],
    'one rejection',
  );
  t.deepEqual(stream[0]?.data, { userId: loserId, email, reason: REJECTION_REASONS.emailTaken });
  t.equal(recording.attempts.length, before, 'the redelivery saw its own answer and wrote nothing');
});

scopedTest('identity: a form posted twice (two Register commands for one user) registers once', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const { subscriptions } = identity(store);
  const first = registerCommand();
  const second = registerCommand(first.data);
  await writeRegister(store, first);
  await writeRegister(store, second);
  await drain(scope.running(subscriptions[0]!));

  t.deepEqual(
    await typesIn(store, identityStreamName(first.data.userId)),
    ['Registered'],
    'one Registered, no rejection of the user by itself',
  );
  t.deepEqual(await typesIn(store, identityEmailStreamName(first.data.email)), ['EmailReserved'], 'one reservation');
});

scopedTest(
  'identity: the two commands of a form posted twice, handled at the same moment, still register once',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const first = registerCommand();
    const [a, b] = [await writeRegister(store, first), await writeRegister(store, registerCommand(first.data))];
    // One of them meets a version conflict on the user's stream; the subscription would retry it.
    recording.holdWrites(2);
    const results = await Promise.allSettled([handlers.commands(a!), handlers.commands(b!)]);
    for (const [index, result] of results.entries())
      if (result.status === 'rejected') await handlers.commands([a!, b!][index]!);
    t.deepEqual(await typesIn(store, identityStreamName(first.data.userId)), ['Registered'], 'one Registered');
  },
);

scopedTest(
  'identity: ten concurrent registrations of one email by ten users → one Registered, nine rejected',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const email = uniqueEmail('contested');
    const commands = [];
    for (let n = 0; n < 10; n += 1) commands.push(await writeRegister(store, registerCommand({ email })));
    // Every handler reads "not registered" and tries to reserve before any of them writes.
    recording.holdWrites(10);
    await Promise.all(commands.map((command) => handlers.commands(command)));

    const outcomes = await Promise.all(
      commands.map(async (command) => typesIn(store, identityStreamName((command.data as { userId: string }).userId))),
    );
    t.equal(outcomes.filter((types) => types.join() === 'Registered').length, 1, 'exactly one Registered');
    t.equal(outcomes.filter((types) => types.join() === 'RegistrationRejected').length, 9, 'nine RegistrationRejected');
    const reservations = await store.readStream(identityEmailStreamName(email));
    t.equal(reservations.length, 1, 'one reservation');
    const winner = commands.find((_, index) => outcomes[index]!.join() === 'Registered');
    t.equal(
      (reservations[0]?.data as { userId: string }).userId,
      (winner?.data as { userId: string }).userId,
      'held by the registered user',
    );
  },
);

scopedTest(
  'identity: two running component instances (a consumer group) race for one email: one Registered',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const email = uniqueEmail('raced');
    const userIds: string[] = [];
    for (let n = 0; n < 10; n += 1) {
      const command = registerCommand({ email });
      userIds.push(command.data.userId);
      await writeRegister(store, command);
    }
    for (const member of [0, 1]) {
      const component = createIdentityComponent({
        messageStore: store,
        logger: silentLogger,
        siteUrl: SITE_URL,
        consumerGroup: { member, size: 2 },
        subscription: { retry: FAST_RETRY, pollIntervalMs: 20, batchSize: 1 },
      });
      scope.running(component.subscriptions[0]!).start();
    }
    const outcomes = await waitUntil('every command to be answered', async () => {
      const all = await Promise.all(userIds.map((userId) => typesIn(store, identityStreamName(userId))));
      return all.every((types) => types.length > 0) && all;
    });
    t.equal(outcomes.filter((types) => types.join() === 'Registered').length, 1, 'one Registered');
    t.equal(outcomes.filter((types) => types.join() === 'RegistrationRejected').length, 9, 'nine rejected');
  },
);

scopedTest(
  'identity: invalid Register data (a userId that is no UUID, a 10 000-character email) is parked, nothing written',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const { logger, lines } = capturingLogger();
    const [commands] = identity(store, logger).subscriptions;
    const plaintext = `hunter2-${randomUUID()}`;
    const hash = fakePasswordHash();
    await store.write('identity:command-not-a-uuid', {
      id: randomUUID(),
      type: 'Register',
      data: { userId: 'not-a-uuid', email: uniqueEmail(), passwordHash: hash },
      metadata: {},
    });
    const longEmail = `${'a'.repeat(10_000 - '@example.com'.length)}@example.com`;
    await writeRegister(store, registerCommand({ email: longEmail, passwordHash: hash }));
    // A password where the hash belongs must not end up in a log line either.
    await writeRegister(store, registerCommand({ passwordHash: plaintext }));
    await drain(scope.running(commands!));

    t.equal(commands!.status().parked, 3, 'all three parked');
    t.equal(
      (await store.readStream(`deadLetter-${commands!.subscriberId}`)).filter((m) => m.type === 'Parked').length,
      3,
      'in the dead-letter stream',
    );
    t.deepEqual(await store.readCategory(IDENTITY_CATEGORY), [], 'no identity event');
    t.deepEqual(await store.readCategory(IDENTITY_EMAIL_CATEGORY), [], 'no email reserved');
    t.ok(lines().includes('message parked'), 'the parking is logged');
    t.notOk(lines().includes(plaintext), 'the password is not in the logs');
    t.notOk(lines().includes(hash), 'nor the hash');
  },
);

scopedTest('identity: no password hash in any log line of a registration', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const { logger, lines } = capturingLogger();
  const { subscriptions } = identity(store, logger);
  const command = registerCommand();
  await writeRegister(store, command);
  await writeRegister(store, registerCommand({ email: command.data.email }));
  for (const subscription of subscriptions) await drain(scope.running(subscription));
  t.ok(lines().includes('registered'), 'the registration is logged (at trace level, everything is)');
  t.notOk(lines().includes(command.data.passwordHash), 'without the hash');
  t.notOk(lines().includes('passwordHash'), 'or even its field');
});
