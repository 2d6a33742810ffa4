import { randomUUID } from 'node:crypto';
import { createAccountLinks } from '../../src/account-links/index.ts';
import {
  identityCommandStreamName,
  identityStreamName,
  PASSWORD_RESET_LIFETIME_MS,
  PASSWORD_RESET_REFUSALS,
} from '../../src/contracts/identity.ts';
import { sendEmailCommandStreamName } from '../../src/contracts/send-email.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import { passwordEmailId } from '../../src/components/identity/ids.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { fakePasswordHash, typesIn, writeRegister } from '../fixtures/identity-controls.ts';

const links = createAccountLinks('cookie secret');

function identity(messageStore: MessageStore) {
  return createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: 'https://tutorials.example',
    accountLinks: links,
    subscription: { retry: FAST_RETRY },
  });
}

type Identity = ReturnType<typeof identity>;

/** Writes `type` on identity:command-<id> and returns it as recorded. */
async function command(store: MessageStore, type: string, data: object, id = randomUUID()): Promise<RawMessage> {
  await store.write(identityCommandStreamName(id), { id, type, data, metadata: {} });
  return (await store.readStream(identityCommandStreamName(id)))[0]!;
}

/** A registered user, as identity decided. */
async function registeredUser(store: MessageStore, { handlers }: Identity): Promise<string> {
  const register = await writeRegister(store);
  await handlers.commands(register);
  return (register.data as { userId: string }).userId;
}

async function requestReset(store: MessageStore, { handlers }: Identity, userId: string): Promise<string> {
  const requestId = randomUUID();
  await handlers.commands(await command(store, 'RequestPasswordReset', { userId, requestId }, requestId));
  return requestId;
}

const resetCommand = (
  store: MessageStore,
  userId: string,
  requestId: string,
  token = links.tokenFor('password-reset', requestId),
) =>
  command(store, 'ResetPassword', {
    userId,
    requestId,
    tokenHash: links.hashOf(token),
    passwordHash: fakePasswordHash(),
  });

const passwordEvents = async (store: MessageStore, userId: string) =>
  (await store.readStream(identityStreamName(userId)))
    .filter((message) => message.type.startsWith('Password'))
    .map((m) => [m.type, (m.data as { reason?: string }).reason]);

scopedTest(
  'identity: RequestPasswordReset delivered twice records one request, and its event delivered twice writes one link email',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(store);
    const userId = await registeredUser(store, component);
    const requestId = randomUUID();
    const asked = await command(store, 'RequestPasswordReset', { userId, requestId }, requestId);
    await component.handlers.commands(asked);
    await component.handlers.commands(asked);
    const requested = (await store.readStream(identityStreamName(userId))).filter(
      (message) => message.type === 'PasswordResetRequested',
    );
    t.equal(requested.length, 1, 'one PasswordResetRequested');
    await component.handlers.events(requested[0]!);
    await component.handlers.events(requested[0]!);
    const sends = await store.readStream(sendEmailCommandStreamName(passwordEmailId(requested[0]!.id)));
    t.equal(sends.length, 1, 'one Send');
    const send = sends[0]!.data as { link: unknown; text: string; to: string };
    t.deepEqual(
      send.link,
      { purpose: 'password-reset', requestId, url: 'https://tutorials.example/auth/reset/' },
      'carrying the link by its request, not a token',
    );
    t.match(send.text, /within an hour/, 'saying it expires in an hour');
    t.ok(send.to.endsWith('@example.com'), 'to the address the user registered with');
  },
);

scopedTest(
  'identity: RequestPasswordReset for a user never registered, or erased, writes nothing',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(store);
    const stranger = randomUUID();
    await requestReset(store, component, stranger);
    t.deepEqual(await typesIn(store, identityStreamName(stranger)), [], 'nothing for nobody');
    const userId = await registeredUser(store, component);
    await store.write(identityStreamName(userId), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId, by: 'test' },
      metadata: {},
    });
    await requestReset(store, component, userId);
    t.deepEqual(await passwordEvents(store, userId), [], 'nothing for an erased user');
  },
);

scopedTest(
  'identity: ResetPassword delivered twice changes the password once; the same link used again is refused',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(store);
    const userId = await registeredUser(store, component);
    const requestId = await requestReset(store, component, userId);
    const reset = await resetCommand(store, userId, requestId);
    await component.handlers.commands(reset);
    await component.handlers.commands(reset);
    t.deepEqual(
      await passwordEvents(store, userId),
      [
        ['PasswordResetRequested', undefined],
        ['PasswordChanged', undefined],
      ],
      'one PasswordChanged',
    );
    await component.handlers.commands(await resetCommand(store, userId, requestId));
    t.deepEqual(
      (await passwordEvents(store, userId)).at(-1),
      ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.used],
      'the second use is refused',
    );

    const [changed] = (await store.readStream(identityStreamName(userId))).filter(
      (message) => message.type === 'PasswordChanged',
    );
    await component.handlers.events(changed!);
    await component.handlers.events(changed!);
    const notices = await store.readStream(sendEmailCommandStreamName(passwordEmailId(changed!.id)));
    t.equal(notices.length, 1, 'one notice for the change, however often its event is handled');
    const notice = notices[0]!.data as { text: string; link?: unknown };
    t.match(notice.text, /was changed on .* UTC, with a reset link/, 'saying when and how');
    t.equal(notice.link, undefined, 'and carrying no link');
  },
);

scopedTest('identity: a reset link expires an hour after its request, by the time of the command', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const component = identity(store);
  const userId = await registeredUser(store, component);
  const requestId = await requestReset(store, component, userId);
  const [requested] = (await store.readStream(identityStreamName(userId))).filter(
    (message) => message.type === 'PasswordResetRequested',
  );
  const reset = await resetCommand(store, userId, requestId);
  // Moving the command's clock, as a ResetPassword written an hour later would carry.
  await component.handlers.commands({
    ...reset,
    time: new Date(requested!.time.getTime() + PASSWORD_RESET_LIFETIME_MS),
  });
  t.deepEqual(
    (await passwordEvents(store, userId)).at(-1),
    ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.expired],
    'at an hour, refused as expired',
  );
  const inTime = await resetCommand(store, userId, requestId);
  await component.handlers.commands({
    ...inTime,
    time: new Date(requested!.time.getTime() + PASSWORD_RESET_LIFETIME_MS - 1000),
  });
  t.deepEqual((await passwordEvents(store, userId)).at(-1)?.[0], 'PasswordChanged', 'a second before, taken');
});

scopedTest(
  'identity: a newer request voids the older link; a tampered token, another purpose and an erased user are refused',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(store);
    const userId = await registeredUser(store, component);
    const older = await requestReset(store, component, userId);
    const newer = await requestReset(store, component, userId);
    const last = async () => (await passwordEvents(store, userId)).at(-1);

    await component.handlers.commands(await resetCommand(store, userId, older));
    t.deepEqual(await last(), ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.voided], 'the older link is void');
    const token = links.tokenFor('password-reset', newer);
    await component.handlers.commands(
      await resetCommand(store, userId, newer, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
    );
    t.deepEqual(
      await last(),
      ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.unknown],
      'a tampered token is not valid',
    );
    await component.handlers.commands(await resetCommand(store, userId, newer, links.tokenFor('verify-email', newer)));
    t.deepEqual(
      await last(),
      ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.unknown],
      'nor is a verification link for the same request',
    );
    await component.handlers.commands(await resetCommand(store, randomUUID(), newer));
    t.equal(
      (await passwordEvents(store, userId)).length,
      5,
      "a good token named for another user changes nothing of this user's",
    );

    await store.write(identityStreamName(userId), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId, by: 'test' },
      metadata: {},
    });
    await component.handlers.commands(await resetCommand(store, userId, newer));
    t.deepEqual(await last(), ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.erased], 'an erased user cannot reset');
  },
);

scopedTest('identity: ChangePassword delivered twice changes the password once', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const component = identity(store);
  const userId = await registeredUser(store, component);
  const change = await command(store, 'ChangePassword', { userId, passwordHash: fakePasswordHash() });
  await component.handlers.commands(change);
  await component.handlers.commands(change);
  const changed = (await store.readStream(identityStreamName(userId))).filter(
    (message) => message.type === 'PasswordChanged',
  );
  t.equal(changed.length, 1, 'one PasswordChanged');
  t.equal((changed[0]!.data as { how: string }).how, 'changed', 'changed, not reset');
});

scopedTest(
  'identity: a reset link asked for before the password or the address was changed no longer works',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(store);
    const last = async (userId: string) => (await passwordEvents(store, userId)).at(-1);

    // The owner, worried, changes their password: a link sent before (to a mailbox someone else may read) dies with the old password.
    const worried = await registeredUser(store, component);
    const before = await requestReset(store, component, worried);
    await component.handlers.commands(
      await command(store, 'ChangePassword', { userId: worried, passwordHash: fakePasswordHash() }),
    );
    await component.handlers.commands(await resetCommand(store, worried, before));
    t.deepEqual(
      await last(worried),
      ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.accountChanged],
      'refused after a password change',
    );

    // The owner moves to a new address: a link sent to the old one no longer sets the password.
    const moved = await registeredUser(store, component);
    const sentToOld = await requestReset(store, component, moved);
    await store.write(identityStreamName(moved), {
      id: randomUUID(),
      type: 'EmailChanged',
      data: { userId: moved, requestId: randomUUID(), email: 'new@example.com', previousEmail: 'old@example.com' },
      metadata: {},
    });
    await component.handlers.commands(await resetCommand(store, moved, sentToOld));
    t.deepEqual(
      await last(moved),
      ['PasswordResetRefused', PASSWORD_RESET_REFUSALS.accountChanged],
      'refused after an address change',
    );

    // A link asked for after the change works as ever.
    const after = await requestReset(store, component, moved);
    await component.handlers.commands(await resetCommand(store, moved, after));
    t.equal((await last(moved))?.[0], 'PasswordChanged', 'a link asked for after the change works');
  },
);
