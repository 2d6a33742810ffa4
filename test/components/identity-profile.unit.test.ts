import { randomUUID } from 'node:crypto';
import {
  identityEmailStreamName,
  identityHandleStreamName,
  identityStreamName,
  REJECTION_REASONS,
} from '../../src/contracts/identity.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import { eraseUser } from '../../src/components/identity/erase-user.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import type { PersonalData, Sealed } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import {
  recordingStore,
  registerCommand,
  sealedRegisterCommand,
  typesIn,
  uniqueEmail,
  writeChangeProfile,
  writeRegister,
} from '../fixtures/identity-controls.ts';
import { memoryPersonalData } from '../fixtures/memory-personal-data.ts';

function identity(messageStore: MessageStore, personalData: PersonalData) {
  return createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: 'http://localhost:3000',
    personalData,
    subscription: { retry: FAST_RETRY },
  });
}

/** Registers a user with `handle` (handled twice, as a redelivery would) and returns their id. */
async function registered(
  store: MessageStore,
  personalData: PersonalData,
  handle: string,
  email = uniqueEmail(),
): Promise<RawMessage & { userId: string }> {
  const command = await writeRegister(store, await sealedRegisterCommand(personalData, { handle, email }));
  const { handlers } = identity(store, personalData);
  await handlers.commands(command);
  await handlers.commands(command);
  return { ...command, userId: (command.data as { userId: string }).userId };
}

async function holderOf(store: MessageStore, handle: string): Promise<string | undefined> {
  let holder: string | undefined;
  for (const message of await store.readStream(identityHandleStreamName(handle)))
    holder = message.type === 'HandleReserved' ? (message.data as { userId: string }).userId : undefined;
  return holder;
}

const opened = async (personalData: PersonalData, userId: string, event: RawMessage | undefined, field: string) =>
  personalData.open(userId, (event!.data as Record<string, Sealed>)[field]!);

scopedTest(
  'identity: Register with a name and handle, delivered twice → one HandleReserved, one Registered carrying both sealed',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'ada');

    const events = await store.readStream(identityStreamName(userId));
    t.deepEqual(
      events.map((message) => message.type),
      ['Registered'],
      'one Registered',
    );
    t.equal(
      await opened(personalData, userId, events[0], 'displayName'),
      'Ada Lovelace',
      'the display name, sealed with the user key',
    );
    t.equal(await opened(personalData, userId, events[0], 'handle'), 'ada', 'the handle');
    t.notOk(JSON.stringify(events[0]?.data).includes('Ada Lovelace'), 'never in plain text');
    t.deepEqual(await typesIn(store, identityHandleStreamName('ada')), ['HandleReserved'], 'the handle reserved once');
    t.equal(await holderOf(store, 'ADA'), userId, 'for this user, whatever the case');
  },
);

scopedTest(
  'identity: a taken handle refuses the registration (its own reason) and gives the address back; delivered twice, nothing more',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const first = await registered(store, personalData, 'grace');
    const email = uniqueEmail();
    const second = await registered(store, personalData, 'grace', email);

    const events = await store.readStream(identityStreamName(second.userId));
    t.deepEqual(
      events.map((message) => [message.type, (message.data as { reason?: string }).reason]),
      [['RegistrationRejected', REJECTION_REASONS.handleTaken]],
    );
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(email)),
      ['EmailReserved', 'EmailReleased'],
      'the address claimed, then released: free for a next try',
    );
    t.equal(await holderOf(store, 'grace'), first.userId, 'the handle stays with the first');

    const again = await registered(store, personalData, 'grace-2', email);
    t.deepEqual(
      await typesIn(store, identityStreamName(again.userId)),
      ['Registered'],
      'the same address registers with another handle',
    );
  },
);

scopedTest(
  'identity: a Register from before names (no name, no handle) still registers, claiming no handle',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const command = registerCommand();
    await identity(store, personalData).handlers.commands(await writeRegister(store, command));
    const [event] = await store.readStream(identityStreamName(command.data.userId));
    t.equal(event?.type, 'Registered');
    t.notOk('handle' in (event?.data as object), 'no handle: pages show the generated one');
    t.deepEqual(await store.readCategory('identityHandle'), [], 'nothing claimed');
  },
);

scopedTest(
  'identity: ChangeProfile delivered twice → HandleChanged and DisplayNameChanged once; the new handle claimed, the old released and free for someone else',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'old-handle');
    const recording = recordingStore(store);
    const { handlers } = identity(recording, personalData);
    const change = await writeChangeProfile(store, personalData, userId, {
      displayName: 'Ada King',
      handle: 'new-handle',
    });
    await handlers.commands(change);
    const attempts = recording.attempts.length;
    await handlers.commands(change);

    t.deepEqual(
      await typesIn(store, identityStreamName(userId)),
      ['Registered', 'HandleChanged', 'DisplayNameChanged'],
      'each change once',
    );
    t.equal(recording.attempts.length, attempts, 'the second delivery wrote nothing');
    const [, handleChanged, nameChanged] = await store.readStream(identityStreamName(userId));
    t.equal(await opened(personalData, userId, handleChanged, 'handle'), 'new-handle');
    t.equal(await opened(personalData, userId, handleChanged, 'previous'), 'old-handle', 'the handle given up, sealed');
    t.equal(await opened(personalData, userId, nameChanged, 'displayName'), 'Ada King');
    t.deepEqual(
      await typesIn(store, identityHandleStreamName('old-handle')),
      ['HandleReserved', 'HandleReleased'],
      'the old handle released',
    );
    t.equal(await holderOf(store, 'new-handle'), userId, 'the new one held');

    const other = await registered(store, personalData, 'old-handle');
    t.deepEqual(
      await typesIn(store, identityStreamName(other.userId)),
      ['Registered'],
      'someone else registers with the old handle',
    );
    t.equal(await holderOf(store, 'old-handle'), other.userId);
  },
);

scopedTest(
  'identity: ChangeProfile to a taken handle → ProfileChangeRejected (once, however often delivered), nothing changed',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const taker = await registered(store, personalData, 'taken');
    const { userId } = await registered(store, personalData, 'mine');
    const { handlers } = identity(store, personalData);
    const change = await writeChangeProfile(store, personalData, userId, { displayName: 'New Name', handle: 'taken' });
    await handlers.commands(change);
    await handlers.commands(change);

    const events = await store.readStream(identityStreamName(userId));
    t.deepEqual(
      events.map((message) => [message.type, (message.data as { reason?: string }).reason]),
      [
        ['Registered', undefined],
        ['ProfileChangeRejected', REJECTION_REASONS.handleTaken],
      ],
      'refused once; the name is not changed either (all or nothing)',
    );
    t.equal(await holderOf(store, 'taken'), taker.userId, 'the handle stays with its holder');
    t.equal(await holderOf(store, 'mine'), userId, 'and the user keeps theirs');
  },
);

scopedTest(
  'identity: ChangeProfile with nothing new, or a handle breaking the rules once opened → refused with its reason',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'same');
    const { handlers } = identity(store, personalData);
    await handlers.commands(
      await writeChangeProfile(store, personalData, userId, { displayName: 'Ada Lovelace', handle: 'same' }),
    );
    await handlers.commands(
      await writeChangeProfile(store, personalData, userId, { displayName: 'Ada', handle: 'No Spaces Allowed' }),
    );
    await handlers.commands(
      await writeChangeProfile(store, personalData, userId, { displayName: 'evil\u202Eeman', handle: 'fine-handle' }),
    );
    const reasons = (await store.readStream(identityStreamName(userId)))
      .slice(1)
      .map((message) => (message.data as { reason?: string }).reason);
    t.deepEqual(reasons, [
      REJECTION_REASONS.profileUnchanged,
      REJECTION_REASONS.invalidProfile,
      REJECTION_REASONS.invalidProfile,
    ]);
  },
);

scopedTest(
  'identity: a crash after HandleChanged, before the release → the redelivery releases the old handle',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'before-crash');
    const change = await writeChangeProfile(store, personalData, userId, {
      displayName: 'Ada Lovelace',
      handle: 'after-crash',
    });
    // The release is the last write: fail it once, as a crash there would leave things.
    let failed = false;
    const crashing: MessageStore = Object.create(store, {
      write: {
        value: async (stream: string, message: { type: string }, expected?: number) => {
          if (message.type === 'HandleReleased' && !failed) {
            failed = true;
            throw new Error('crash');
          }
          return store.write(stream, message as never, expected);
        },
      },
    });
    await identity(crashing, personalData)
      .handlers.commands(change)
      .catch(() => undefined);
    t.ok(failed, 'the release failed');
    t.equal(await holderOf(store, 'before-crash'), userId, 'the old handle still held after the crash');
    await identity(store, personalData).handlers.commands(change);
    t.equal(await holderOf(store, 'before-crash'), undefined, 'released by the redelivery');
    t.deepEqual(
      await typesIn(store, identityStreamName(userId)),
      ['Registered', 'HandleChanged'],
      'nothing written twice',
    );
  },
);

scopedTest(
  'identity: an old ChangeProfile delivered again after a later one changes nothing back',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'one');
    const { handlers } = identity(store, personalData);
    const first = await writeChangeProfile(store, personalData, userId, { displayName: 'First', handle: 'two' });
    await handlers.commands(first);
    await handlers.commands(
      await writeChangeProfile(store, personalData, userId, { displayName: 'Second', handle: 'three' }),
    );
    const before = await typesIn(store, identityStreamName(userId));
    await handlers.commands(first);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), before, 'no new event');
    t.equal(await holderOf(store, 'three'), userId, 'the later handle stays');
    t.equal(await holderOf(store, 'two'), undefined, 'the handle in between stays free');
  },
);

scopedTest('identity: erasure releases the handle, which someone else can then register with', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const personalData = memoryPersonalData();
  const { userId } = await registered(store, personalData, 'erased-one');
  await eraseUser({ messageStore: store, personalData }, userId, { by: randomUUID(), traceId: randomUUID() });
  t.deepEqual(
    await typesIn(store, identityHandleStreamName('erased-one')),
    ['HandleReserved', 'HandleReleased'],
    'released on record',
  );
  const next = await registered(store, personalData, 'erased-one');
  t.deepEqual(await typesIn(store, identityStreamName(next.userId)), ['Registered'], 'the handle is free again');
});

scopedTest(
  'identity: an erasure that stopped before its HandleReleased does not keep the handle (the erased hold nothing)',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const { userId } = await registered(store, personalData, 'half-erased');
    await personalData.erase(userId);
    const next = await registered(store, personalData, 'half-erased');
    t.deepEqual(
      await typesIn(store, identityStreamName(next.userId)),
      ['Registered'],
      'claimed at the stream’s version',
    );
    t.equal(await holderOf(store, 'half-erased'), next.userId);
  },
);

scopedTest(
  'identity: a crash after a refusal for a taken handle, before the address is given back → the redelivery gives it back',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    await registered(store, personalData, 'popular');
    const email = uniqueEmail();
    const command = await writeRegister(store, await sealedRegisterCommand(personalData, { handle: 'popular', email }));
    let failed = false;
    const crashing: MessageStore = Object.create(store, {
      write: {
        value: async (stream: string, message: { type: string }, expected?: number) => {
          if (message.type === 'EmailReleased' && !failed) {
            failed = true;
            throw new Error('crash');
          }
          return store.write(stream, message as never, expected);
        },
      },
    });
    await identity(crashing, personalData)
      .handlers.commands(command)
      .catch(() => undefined);
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(email)),
      ['EmailReserved'],
      'the address still claimed after the crash',
    );
    await identity(store, personalData).handlers.commands(command);
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(email)),
      ['EmailReserved', 'EmailReleased'],
      'given back by the redelivery',
    );
    t.deepEqual(
      await typesIn(store, identityStreamName((command.data as { userId: string }).userId)),
      ['RegistrationRejected'],
      'refused once',
    );
  },
);

scopedTest(
  'identity: an address still held by a refused registration (its release never written) is free for the next one',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    await registered(store, personalData, 'wanted');
    const email = uniqueEmail();
    const command = await writeRegister(store, await sealedRegisterCommand(personalData, { handle: 'wanted', email }));
    // Every release fails: the refusal is on record, the address still claimed by the refused user.
    const noReleases: MessageStore = Object.create(store, {
      write: {
        value: async (stream: string, message: { type: string }, expected?: number) => {
          if (message.type === 'EmailReleased') throw new Error('crash');
          return store.write(stream, message as never, expected);
        },
      },
    });
    await identity(noReleases, personalData)
      .handlers.commands(command)
      .catch(() => undefined);
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(email)),
      ['EmailReserved'],
      'still claimed by the refused user',
    );
    const next = await registered(store, personalData, 'another', email);
    t.deepEqual(
      await typesIn(store, identityStreamName(next.userId)),
      ['Registered'],
      'the address registers again: a refused user holds nothing',
    );
  },
);
