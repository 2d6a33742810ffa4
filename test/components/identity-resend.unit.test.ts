import { randomUUID } from 'node:crypto';
import { identityCommandStreamName, identityStreamName } from '../../src/contracts/identity.ts';
import { registrationEmailId, resentRegistrationEmailId } from '../../src/components/identity/ids.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import { RESEND_LIMIT, RESEND_REFUSALS } from '../../src/components/identity/welcome-email.ts';
import { sendEmailCommandStreamName, sendEmailStreamName } from '../../src/contracts/send-email.ts';
import { follow, type MessageStore, type RawMessage } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { recordingStore, registerCommand, typesIn, writeRegister } from '../fixtures/identity-controls.ts';

type Identity = ReturnType<typeof createIdentityComponent>;

function identity(scope: Scope, messageStore: MessageStore): Identity {
  const component = createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: 'https://tutorials.example',
    subscription: { retry: FAST_RETRY },
  });
  for (const subscription of component.subscriptions) scope.running(subscription);
  return component;
}

/** Every identity subscriber until none reads anything more. */
async function settle(component: Identity): Promise<void> {
  for (let round = 0; round < 3; round += 1)
    for (const subscription of component.subscriptions) await drain(subscription);
}

async function registeredUser(store: MessageStore, component: Identity): Promise<string> {
  const command = registerCommand();
  await writeRegister(store, command);
  await settle(component);
  return command.data.userId;
}

/** What send-email writes in answer to the Send of `emailId`: follow() carries the correlation back. */
async function answer(
  store: MessageStore,
  emailId: string,
  type: 'Sent' | 'Failed' | 'DeliveryDeferred',
): Promise<RawMessage> {
  const [send] = await store.readStream(sendEmailCommandStreamName(emailId));
  if (!send) throw new Error(`no Send for ${emailId}`);
  const { to } = send.data as { to: string };
  const data =
    type === 'Sent'
      ? { emailId, to, subject: 'Welcome' }
      : type === 'Failed'
        ? { emailId, to, reason: '550 mailbox unavailable' }
        : {
            emailId,
            attempts: 1,
            reason: '451 try later',
            failingSince: new Date().toISOString(),
            nextAttemptAt: new Date(Date.now() + 10_000).toISOString(),
          };
  const stream = sendEmailStreamName(emailId);
  await store.write(stream, follow(send, type, data));
  return (await store.readStream(stream)).at(-1)!;
}

async function askAgain(
  store: MessageStore,
  userId: string,
  byAdmin?: string,
  sender = byAdmin ?? userId,
): Promise<RawMessage> {
  const stream = identityCommandStreamName(userId);
  const id = randomUUID();
  await store.write(stream, {
    id,
    type: 'ResendRegistrationEmail',
    data: { userId, byAdmin },
    metadata: { traceId: randomUUID(), userId: sender },
  });
  return (await store.readStream(stream)).find((message) => message.id === id)!;
}

const lastOf = async (store: MessageStore, userId: string) =>
  (await store.readStream(identityStreamName(userId))).at(-1)!;

scopedTest(
  'identity resend: a user whose welcome email failed asks again: a new email is sent, and its answer recorded; each message delivered twice writes once',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = identity(scope, recording);
    const userId = await registeredUser(store, component);
    await answer(store, registrationEmailId(userId), 'Failed');
    await settle(component);

    const command = await askAgain(store, userId);
    await settle(component);
    const requested = await lastOf(store, userId);
    const emailId = resentRegistrationEmailId(command.id);
    t.equal(requested.type, 'RegistrationEmailRequested', 'a new welcome email is asked for');
    t.deepEqual(requested.data, { userId, emailId }, 'under a new email id, derived from the command, not by an admin');
    const [send] = await store.readStream(sendEmailCommandStreamName(emailId));
    const [first] = await store.readStream(sendEmailCommandStreamName(registrationEmailId(userId)));
    t.equal(send?.type, 'Send', 'and sent');
    t.deepEqual(
      send?.data && { ...(send.data as object), emailId: undefined, link: undefined },
      { ...(first!.data as object), emailId: undefined, link: undefined },
      'the same email to the same (sealed) address',
    );
    t.equal(
      (send?.data as { link?: { requestId: string } }).link?.requestId,
      emailId,
      'with a new verification link: its request is the new email',
    );
    t.equal(send?.metadata.correlationStreamName, identityStreamName(userId), 'its answers come back to identity');

    const writes = recording.attempts.length;
    await component.handlers.commands(command);
    await component.handlers.events(requested);
    t.equal(recording.attempts.length, writes, 'the command and the event delivered again write nothing');

    const sent = await answer(store, emailId, 'Sent');
    await settle(component);
    await component.handlers.sendEmailEvents(sent);
    t.deepEqual(
      (await typesIn(store, identityStreamName(userId))).slice(-2),
      ['RegistrationEmailRequested', 'RegistrationEmailSent'],
      "the new email's Sent is recorded, once",
    );
  },
);

scopedTest(
  'identity resend: a deferral is recorded once, and while the email is on its way the user may not ask again, but an admin may',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(scope, store);
    const userId = await registeredUser(store, component);
    const deferred = await answer(store, registrationEmailId(userId), 'DeliveryDeferred');
    await settle(component);
    await component.handlers.sendEmailEvents(deferred);
    const events = await store.readStream(identityStreamName(userId));
    t.deepEqual(
      events.map((event) => event.type),
      ['Registered', 'RegistrationEmailDeferred'],
      'the deferral recorded once',
    );
    const { attempts, reason, nextAttemptAt } = events[1]!.data as {
      attempts: number;
      reason: string;
      nextAttemptAt: string;
    };
    t.deepEqual(
      [attempts, reason, nextAttemptAt],
      [1, '451 try later', (deferred.data as { nextAttemptAt: string }).nextAttemptAt],
      'with its try count, reason and next try',
    );

    await askAgain(store, userId);
    await settle(component);
    const refused = await lastOf(store, userId);
    t.equal(refused.type, 'RegistrationEmailResendRefused');
    t.equal(
      (refused.data as { reason: string }).reason,
      RESEND_REFUSALS.onItsWay,
      'the user: not while one is on its way',
    );

    const notAdmin = await registeredUser(store, component);
    await askAgain(store, userId, notAdmin);
    await settle(component);
    t.equal(
      ((await lastOf(store, userId)).data as { reason: string }).reason,
      RESEND_REFUSALS.notAdmin,
      'someone who is no admin cannot ask as one',
    );

    const adminId = await registeredUser(store, component);
    await store.write(identityStreamName(adminId), {
      id: randomUUID(),
      type: 'AdminRoleGranted',
      data: { userId: adminId, by: 'test' },
      metadata: {},
    });
    await askAgain(store, userId, adminId, notAdmin);
    await settle(component);
    t.equal(
      ((await lastOf(store, userId)).data as { reason: string }).reason,
      RESEND_REFUSALS.notAdmin,
      'nor can anyone name a real admin as the one who asks',
    );

    await askAgain(store, userId, adminId);
    await settle(component);
    const requested = await lastOf(store, userId);
    t.equal(requested.type, 'RegistrationEmailRequested', 'an admin may');
    t.equal((requested.data as { byAdmin?: string }).byAdmin, adminId, 'and is named');
  },
);

scopedTest(
  `identity resend: a user may ask ${RESEND_LIMIT.times} times a day; nobody can for an unknown or erased user`,
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = identity(scope, store);
    const userId = await registeredUser(store, component);
    await answer(store, registrationEmailId(userId), 'Sent');
    await settle(component);
    for (let n = 0; n < RESEND_LIMIT.times; n += 1) {
      const command = await askAgain(store, userId);
      await settle(component);
      t.equal((await lastOf(store, userId)).type, 'RegistrationEmailRequested', `asking again ${n + 1}: granted`);
      await answer(store, resentRegistrationEmailId(command.id), 'Sent');
      await settle(component);
    }
    await askAgain(store, userId);
    await settle(component);
    const refused = await lastOf(store, userId);
    t.equal(
      (refused.data as { reason: string }).reason,
      RESEND_REFUSALS.tooOften,
      `the ${RESEND_LIMIT.times + 1}th time: refused`,
    );

    const nobody = randomUUID();
    await component.handlers.commands(await askAgain(store, nobody));
    t.deepEqual(
      await typesIn(store, identityStreamName(nobody)),
      [],
      'an unknown user: nothing written, no stream made',
    );

    await store.write(identityStreamName(userId), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId, by: randomUUID() },
      metadata: {},
    });
    const adminId = await registeredUser(store, component);
    await store.write(identityStreamName(adminId), {
      id: randomUUID(),
      type: 'AdminRoleGranted',
      data: { userId: adminId, by: 'test' },
      metadata: {},
    });
    await askAgain(store, userId, adminId);
    await settle(component);
    t.equal(
      ((await lastOf(store, userId)).data as { reason: string }).reason,
      RESEND_REFUSALS.erased,
      'an erased user: refused, even to an admin',
    );
  },
);
