import { randomUUID } from 'node:crypto';
import { createAccountLinks, LINK_PLACEHOLDER } from '../../src/account-links/index.ts';
import {
  identityCommandStreamName,
  identityEmailStreamName,
  identityStreamName,
  REJECTION_REASONS,
  VERIFICATION_LINK_LIFETIME_MS,
  VERIFICATION_REFUSALS,
} from '../../src/contracts/identity.ts';
import {
  emailChangeEmailIds,
  emailChangeRequestId,
  registrationEmailId,
  resentRegistrationEmailId,
} from '../../src/components/identity/ids.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import { sendEmailCommandStreamName } from '../../src/contracts/send-email.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { recordingStore, registerCommand, typesIn, uniqueEmail, writeRegister } from '../fixtures/identity-controls.ts';

type Identity = ReturnType<typeof createIdentityComponent>;
const links = createAccountLinks('test cookie secret');

function identity(scope: Scope, messageStore: MessageStore): Identity {
  const component = createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: 'https://tutorials.example',
    accountLinks: links,
    subscription: { retry: FAST_RETRY },
  });
  for (const subscription of component.subscriptions) scope.running(subscription);
  return component;
}

async function settle(component: Identity): Promise<void> {
  for (let round = 0; round < 3; round += 1)
    for (const subscription of component.subscriptions) await drain(subscription);
}

async function registered(
  store: MessageStore,
  component: Identity,
  email = uniqueEmail(),
): Promise<{ userId: string; email: string }> {
  const command = registerCommand({ email });
  await writeRegister(store, command);
  await settle(component);
  return { userId: command.data.userId, email };
}

/** Writes a command where its page would, and returns it as recorded. */
async function command(store: MessageStore, userId: string, type: string, data: object): Promise<RawMessage> {
  const stream = identityCommandStreamName(userId);
  const id = randomUUID();
  await store.write(stream, { id, type, data: { userId, ...data }, metadata: { traceId: randomUUID(), userId } });
  return (await store.readStream(stream)).find((message) => message.id === id)!;
}

/** VerifyEmail as the verification page writes it: the token's hash, never the token. */
const verify = (
  store: MessageStore,
  userId: string,
  requestId: string,
  token = links.tokenFor('verify-email', requestId),
) => command(store, userId, 'VerifyEmail', { requestId, tokenHash: links.hashOf(token) });

const lastOf = async (store: MessageStore, userId: string) =>
  (await store.readStream(identityStreamName(userId))).at(-1)!;
const reasonOf = (message: RawMessage): unknown => (message.data as { reason?: unknown }).reason;
const holderOf = async (store: MessageStore, email: string) => {
  const events = await store.readStream(identityEmailStreamName(email));
  const last = events.at(-1);
  return last?.type === 'EmailReserved' ? (last.data as { userId: string }).userId : undefined;
};
/** The same message, as if the store had recorded it `ms` later: handlers decide by a message's own time. */
const later = (message: RawMessage, ms: number): RawMessage => ({
  ...message,
  time: new Date(message.time.getTime() + ms),
});

scopedTest(
  'email verification: the welcome email carries the link; using it verifies once; each message delivered twice writes once',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = identity(scope, recording);
    const { userId } = await registered(store, component);
    const requestId = registrationEmailId(userId);
    const [send] = await store.readStream(sendEmailCommandStreamName(requestId));
    const data = send!.data as {
      link?: { purpose: string; requestId: string; url: string };
      text: string;
      html: string;
    };
    t.deepEqual(
      data.link,
      { purpose: 'verify-email', requestId, url: `https://tutorials.example/account/verify/${userId}/` },
      'the Send names the link, not its token',
    );
    t.ok(
      data.text.includes(LINK_PLACEHOLDER) && data.html.includes(LINK_PLACEHOLDER),
      'its text and HTML hold the place send-email fills',
    );

    const first = await verify(store, userId, requestId);
    await settle(component);
    const verified = await lastOf(store, userId);
    t.equal(verified.type, 'EmailVerified', 'the link verifies the address');
    t.deepEqual(verified.data, { userId, requestId });
    const writes = recording.attempts.length;
    await component.handlers.commands(first);
    await component.handlers.events(verified);
    t.equal(recording.attempts.length, writes, 'VerifyEmail and EmailVerified delivered again write nothing');

    await verify(store, userId, requestId);
    await settle(component);
    t.deepEqual(
      (await lastOf(store, userId)).data,
      { userId, requestId, reason: VERIFICATION_REFUSALS.used },
      'the same link used twice is refused: used',
    );
  },
);

scopedTest(
  'email verification: an expired link, a forged one, one a resend replaced, and one for an erased user are refused',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(scope, store);
    const { userId } = await registered(store, component);
    const requestId = registrationEmailId(userId);

    const expired = later(await verify(store, userId, requestId), VERIFICATION_LINK_LIFETIME_MS + 1000);
    await component.handlers.commands(expired);
    t.equal(
      reasonOf(await lastOf(store, userId)),
      VERIFICATION_REFUSALS.expired,
      'a link used after 7 days is refused: expired',
    );
    const justInTime = later(await verify(store, userId, requestId), VERIFICATION_LINK_LIFETIME_MS - 60_000);
    await component.handlers.commands(justInTime);
    t.equal((await lastOf(store, userId)).type, 'EmailVerified', 'one used just within 7 days works');
    await settle(component);

    const other = await registered(store, component);
    const otherRequest = registrationEmailId(other.userId);
    await verify(store, other.userId, otherRequest, `${otherRequest}.${'A'.repeat(43)}`);
    await settle(component);
    t.equal(
      reasonOf(await lastOf(store, other.userId)),
      VERIFICATION_REFUSALS.invalid,
      'a forged token is refused: invalid',
    );

    // The welcome email sent again carries a new link and voids the first (its Send must be answered first).
    const resend = await command(store, other.userId, 'ResendRegistrationEmail', {});
    await component.handlers.commands(resend);
    t.equal(
      (await lastOf(store, other.userId)).type,
      'RegistrationEmailResendRefused',
      '(not while the first is on its way)',
    );
    await store.write(`sendEmail-${otherRequest}`, {
      id: randomUUID(),
      type: 'Sent',
      data: { emailId: otherRequest, to: other.email, subject: 'Welcome' },
      metadata: { correlationStreamName: identityStreamName(other.userId) },
    });
    await settle(component);
    const again = await command(store, other.userId, 'ResendRegistrationEmail', {});
    await settle(component);
    await verify(store, other.userId, otherRequest);
    await settle(component);
    t.equal(
      reasonOf(await lastOf(store, other.userId)),
      VERIFICATION_REFUSALS.superseded,
      'the older link, once a newer one is sent, is refused',
    );
    const newRequest = resentRegistrationEmailId(again.id);
    t.equal(
      ((await store.readStream(sendEmailCommandStreamName(newRequest)))[0]?.data as { link: { requestId: string } })
        .link.requestId,
      newRequest,
      'the new email carries the new link',
    );
    await verify(store, other.userId, newRequest);
    await settle(component);
    t.equal((await lastOf(store, other.userId)).type, 'EmailVerified', 'which works');

    const erased = await registered(store, component);
    await store.write(identityStreamName(erased.userId), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId: erased.userId, by: 'test' },
      metadata: {},
    });
    await verify(store, erased.userId, registrationEmailId(erased.userId));
    await settle(component);
    t.equal(
      reasonOf(await lastOf(store, erased.userId)),
      VERIFICATION_REFUSALS.noAccount,
      'a link for an erased user is refused',
    );
  },
);

scopedTest(
  'email change: a taken address is refused and nothing switches; each delivered twice writes once',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = identity(scope, recording);
    const ada = await registered(store, component);
    const bob = await registered(store, component);
    const change = await command(store, ada.userId, 'ChangeEmail', { email: bob.email });
    await settle(component);
    const refused = await lastOf(store, ada.userId);
    t.equal(refused.type, 'EmailChangeRefused');
    t.equal(reasonOf(refused), REJECTION_REASONS.emailTaken, 'because it is taken');
    t.equal(await holderOf(store, bob.email), bob.userId, 'the address stays its owner’s');
    t.equal(await holderOf(store, ada.email), ada.userId, 'and Ada keeps hers');
    const writes = recording.attempts.length;
    await component.handlers.commands(change);
    t.equal(recording.attempts.length, writes, 'delivered again: nothing written');

    await command(store, ada.userId, 'ChangeEmail', { email: ada.email.toUpperCase() });
    await settle(component);
    t.equal(
      reasonOf(await lastOf(store, ada.userId)),
      REJECTION_REASONS.sameEmail,
      'her own address (in any case) is refused too',
    );
  },
);

scopedTest(
  'email change: reserved first, a link to the new address and a notice to the old; switches when verified, and the old address is free',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = identity(scope, recording);
    const ada = await registered(store, component);
    const newEmail = uniqueEmail('new');
    const change = await command(store, ada.userId, 'ChangeEmail', { email: newEmail });
    await settle(component);
    const requestId = emailChangeRequestId(change.id);
    const requested = await lastOf(store, ada.userId);
    t.deepEqual(requested.data, { userId: ada.userId, requestId, email: newEmail }, 'EmailChangeRequested');
    t.equal(await holderOf(store, newEmail), ada.userId, 'the new address is reserved for her');
    const ids = emailChangeEmailIds(requestId);
    const [link] = await store.readStream(sendEmailCommandStreamName(ids.verification));
    const [notice] = await store.readStream(sendEmailCommandStreamName(ids.notice));
    t.equal((link?.data as { to: string }).to, newEmail, 'the link goes to the new address');
    t.equal((link?.data as { link: { requestId: string } }).link.requestId, requestId);
    t.equal((notice?.data as { to: string }).to, ada.email, 'the notice to the current one');
    t.equal((notice?.data as { link?: unknown }).link, undefined, 'and carries no link');
    t.match((notice?.data as { text: string }).text, /if it wasn't you/i);
    const writes = recording.attempts.length;
    await component.handlers.commands(change);
    await component.handlers.events(requested);
    t.equal(recording.attempts.length, writes, 'ChangeEmail and EmailChangeRequested delivered again write nothing');

    const use = await verify(store, ada.userId, requestId);
    await settle(component);
    const changed = await lastOf(store, ada.userId);
    t.equal(changed.type, 'EmailChanged', 'the link switches the account');
    t.deepEqual(changed.data, { userId: ada.userId, requestId, email: newEmail, previousEmail: ada.email });
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(ada.email)),
      ['EmailReserved', 'EmailReleased'],
      'the old address is released',
    );
    const again = recording.attempts.length;
    await component.handlers.commands(use);
    t.equal(recording.attempts.length, again, 'VerifyEmail delivered again writes nothing');

    const eve = await registered(store, component, ada.email);
    t.equal((await lastOf(store, eve.userId)).type, 'Registered', 'someone else can register the old address');
    await verify(store, ada.userId, requestId);
    await settle(component);
    t.equal(
      reasonOf(await lastOf(store, ada.userId)),
      VERIFICATION_REFUSALS.used,
      'the change link used twice is refused',
    );
  },
);

scopedTest(
  'email change: an abandoned change does not hold its address (a newer change releases it; expiry frees it when next claimed)',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(scope, store);
    const ada = await registered(store, component);
    const [first, second, third] = [uniqueEmail('b'), uniqueEmail('c'), uniqueEmail('d')];
    await command(store, ada.userId, 'ChangeEmail', { email: first });
    await settle(component);
    await command(store, ada.userId, 'ChangeEmail', { email: second });
    await settle(component);
    t.deepEqual(
      await typesIn(store, identityEmailStreamName(first)),
      ['EmailReserved', 'EmailReleased'],
      'a newer change releases the older one’s address',
    );
    t.equal(await holderOf(store, second), ada.userId, 'and holds its own');
    const before = await registered(store, component, second);
    t.equal(
      (await lastOf(store, before.userId)).type,
      'RegistrationRejected',
      'which nobody else can take while its link works',
    );

    const change = await command(store, ada.userId, 'ChangeEmail', { email: third });
    await settle(component);
    const register = registerCommand({ email: third });
    const recorded = later(await writeRegister(store, register), VERIFICATION_LINK_LIFETIME_MS + 1000);
    await component.handlers.commands(recorded);
    t.equal(
      (await lastOf(store, register.data.userId)).type,
      'Registered',
      'once its link has expired, the next to claim the address gets it',
    );
    await component.handlers.commands(
      later(await verify(store, ada.userId, emailChangeRequestId(change.id)), VERIFICATION_LINK_LIFETIME_MS + 2000),
    );
    t.equal(reasonOf(await lastOf(store, ada.userId)), VERIFICATION_REFUSALS.expired, 'and the old link is refused');
  },
);
