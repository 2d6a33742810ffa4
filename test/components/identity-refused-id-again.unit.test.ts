import { randomUUID } from 'node:crypto';
import { identityHandleStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import type { Message, MessageStore } from '../../src/message-store/index.ts';
import type { PersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { sealedRegisterCommand, typesIn, uniqueEmail, writeRegister } from '../fixtures/identity-controls.ts';
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

scopedTest(
  'identity: a user id whose registration was refused cannot register later, so its claims (which count as free) never meet another user’s on the same handle',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const personalData = memoryPersonalData();
    const taken = uniqueEmail('taken');
    await identity(store, personalData).handlers.commands(
      await writeRegister(store, await sealedRegisterCommand(personalData, { email: taken })),
    );

    // The same registration form posted twice before the first was decided (the app allows it while
    // pending): the first is refused, the second names the same user id.
    const userId = randomUUID();
    const first = await writeRegister(store, await sealedRegisterCommand(personalData, { userId, email: taken }));
    const second = await writeRegister(store, await sealedRegisterCommand(personalData, { userId, handle: 'wanted' }));
    await identity(store, personalData).handlers.commands(first);
    t.deepEqual(
      await typesIn(store, identityStreamName(userId)),
      ['RegistrationRejected'],
      'the first refused: the address is taken',
    );

    // Another process registers someone else with the same handle, in the moment after the second
    // command's claim and before its Registered.
    const other = await writeRegister(store, await sealedRegisterCommand(personalData, { handle: 'wanted' }));
    const otherId = (other.data as { userId: string }).userId;
    let raced = false;
    const racing: MessageStore = Object.assign(Object.create(store) as MessageStore, {
      async write(stream: string, message: Message, expectedVersion?: number) {
        if (!raced && stream === identityStreamName(userId) && message.type === 'Registered') {
          raced = true;
          await identity(store, personalData).handlers.commands(other);
        }
        return store.write(stream, message, expectedVersion);
      },
    });
    await identity(racing, personalData).handlers.commands(second);
    // Refused at once, the second never reaches its Registered: the other one comes after it.
    if (!raced) await identity(store, personalData).handlers.commands(other);

    const outcomes = await Promise.all(
      [userId, otherId].map(async (id) => (await typesIn(store, identityStreamName(id))).includes('Registered')),
    );
    t.notDeepEqual(outcomes, [true, true], 'not both registered with the one handle');
    t.deepEqual(outcomes, [false, true], 'the other user registers; the refused id stays refused');
    t.deepEqual(
      (await store.readStream(identityHandleStreamName('wanted'))).map((m) => [
        m.type,
        (m.data as { userId: string }).userId,
      ]),
      [['HandleReserved', otherId]],
      'the handle claimed once, by the other user',
    );
  },
);
