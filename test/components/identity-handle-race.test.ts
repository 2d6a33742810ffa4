import {
  identityEmailStreamName,
  identityHandleStreamName,
  identityStreamName,
  REJECTION_REASONS,
} from '../../src/contracts/identity.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import {
  sealedRegisterCommand,
  typesIn,
  uniqueEmail,
  writeChangeProfile,
  writeRegister,
} from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const CLAIMS = 10;

scopedTest(
  `identity (PostgreSQL): ${CLAIMS} registrations racing for one handle → exactly one registers; the others are refused and give their addresses back`,
  async (t, scope) => {
    // A pool as wide as the race, so every claim reaches PostgreSQL at once.
    const { store, urls } = await openTestStore(scope, undefined, { max: CLAIMS + 2 });
    const personalData = createPersonalData(openProjectionDb(scope, urls.databaseUrl));
    const handle = `race-${Date.now().toString(36)}`;
    const commands = await Promise.all(
      Array.from({ length: CLAIMS }, async () =>
        writeRegister(store, await sealedRegisterCommand(personalData, { handle, email: uniqueEmail('racer') })),
      ),
    );
    // Each its own component, as ten processes would be: nothing shared but the database.
    await Promise.all(
      commands.map((command) =>
        createIdentityComponent({
          messageStore: store,
          logger: silentLogger,
          siteUrl: 'http://localhost',
          personalData,
          subscription: { retry: FAST_RETRY },
        }).handlers.commands(command),
      ),
    );

    const outcomes = await Promise.all(
      commands.map(
        async (command) => (await store.readStream(identityStreamName((command.data as { userId: string }).userId)))[0],
      ),
    );
    const winners = outcomes.filter((event) => event?.type === 'Registered');
    const refused = outcomes.filter((event) => event?.type === 'RegistrationRejected');
    t.equal(winners.length, 1, 'exactly one Registered');
    t.equal(refused.length, CLAIMS - 1, 'every other one refused');
    t.ok(
      refused.every((event) => (event!.data as { reason: string }).reason === REJECTION_REASONS.handleTaken),
      'each because the handle is taken',
    );
    const reservations = await store.readStream(identityHandleStreamName(handle));
    t.deepEqual(
      reservations.map((message) => message.type),
      ['HandleReserved'],
      'one claim on the handle stream',
    );
    t.equal(
      (reservations[0]!.data as { userId: string }).userId,
      (winners[0]!.data as { userId: string }).userId,
      'held by the winner',
    );
    for (const event of refused) {
      const email = await personalData.open(
        (event!.data as { userId: string }).userId,
        (event!.data as { email: never }).email,
      );
      t.deepEqual(
        await typesIn(store, identityEmailStreamName(email!)),
        ['EmailReserved', 'EmailReleased'],
        'a refused registration keeps no address',
      );
    }
  },
);

scopedTest(
  `identity (PostgreSQL): ${CLAIMS} users changing to one handle at once → exactly one gets it`,
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope, undefined, { max: CLAIMS + 2 });
    const personalData = createPersonalData(openProjectionDb(scope, urls.databaseUrl));
    const component = () =>
      createIdentityComponent({
        messageStore: store,
        logger: silentLogger,
        siteUrl: 'http://localhost',
        personalData,
        subscription: { retry: FAST_RETRY },
      });
    const stamp = Date.now().toString(36);
    const users = await Promise.all(
      Array.from({ length: CLAIMS }, async (_, n) => {
        const command = await writeRegister(
          store,
          await sealedRegisterCommand(personalData, { handle: `own-${stamp}-${n}` }),
        );
        await component().handlers.commands(command);
        return (command.data as { userId: string }).userId;
      }),
    );
    const wanted = `wanted-${stamp}`;
    const changes = await Promise.all(
      users.map((userId) =>
        writeChangeProfile(store, personalData, userId, { displayName: 'Ada Lovelace', handle: wanted }),
      ),
    );
    await Promise.all(changes.map((change) => component().handlers.commands(change)));

    const last = await Promise.all(
      users.map(async (userId) => (await store.readStream(identityStreamName(userId))).at(-1)?.type),
    );
    t.equal(last.filter((type) => type === 'HandleChanged').length, 1, 'exactly one HandleChanged');
    t.equal(last.filter((type) => type === 'ProfileChangeRejected').length, CLAIMS - 1, 'the others refused');
    t.deepEqual(await typesIn(store, identityHandleStreamName(wanted)), ['HandleReserved'], 'one claim');
  },
);
