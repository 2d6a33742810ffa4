import { randomUUID } from 'node:crypto';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { registrationEmailId } from '../../src/components/identity/ids.ts';
import { createIdentityComponent } from '../../src/components/identity/index.ts';
import {
  sendEmailCommandSchemas,
  sendEmailCommandStreamName,
  sendEmailStreamName,
} from '../../src/contracts/send-email.ts';
import { follow, type MessageStore, type RawMessage } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { recordingStore, registerCommand, typesIn, writeRegister } from '../fixtures/identity-controls.ts';

const SITE_URL = 'https://tutorials.example.com/site/';

function identity(messageStore: MessageStore) {
  return createIdentityComponent({
    messageStore,
    logger: silentLogger,
    siteUrl: SITE_URL,
    subscription: { retry: FAST_RETRY },
  });
}

/** Registers a user through the component and returns its Registered event as recorded. */
async function registered(
  scope: Scope,
  store: MessageStore,
  email = `welcome-${randomUUID().slice(0, 8)}@example.com`,
): Promise<RawMessage> {
  const command = registerCommand({ email });
  await writeRegister(store, command);
  await drain(scope.running(identity(store).subscriptions[0]!));
  const [event] = await store.readStream(identityStreamName(command.data.userId));
  if (event?.type !== 'Registered') throw new Error(`expected Registered, got ${event?.type}`);
  return event;
}

scopedTest(
  'identity: Registered → one welcome Send, correlated to the user, linking to the log-in page',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const event = await registered(scope, store, 'New.Viewer+tutorials@Example.com');
    const { userId } = event.data as { userId: string };
    await drain(scope.running(identity(store).subscriptions[1]!));

    const emailId = registrationEmailId(userId);
    const sends = await store.readStream(sendEmailCommandStreamName(emailId));
    t.equal(sends.length, 1, 'one Send');
    const send = sends[0]!;
    t.equal(send.type, 'Send');
    const data = send.data as { emailId: string; to: string; subject: string; text: string; html: string };
    t.ok(sendEmailCommandSchemas.Send.safeParse(data).success, "send-email's contract accepts it");
    t.equal(data.emailId, emailId, 'its id comes from the user');
    t.equal(data.to, 'new.viewer+tutorials@example.com', 'to the address registered');
    t.ok(data.subject.length > 0, 'with a subject');
    t.ok(
      data.text.includes('https://tutorials.example.com/site/auth/log-in'),
      'the text links to <siteUrl>/auth/log-in',
    );
    t.ok(data.text.includes('Your account is ready.'), 'the text says the account is ready');
    t.ok(
      data.html.includes('href="https://tutorials.example.com/site/auth/log-in"'),
      'the HTML links to the log-in page',
    );
    t.notOk(
      `${data.subject}${data.text}${data.html}`.toLowerCase().includes('new.viewer'),
      'neither body names the address (only `to` does)',
    );
    t.equal(send.metadata.correlationStreamName, identityStreamName(userId), 'correlated to identity-<userId>');
    t.equal(send.metadata.causationMessageStreamName, identityStreamName(userId), 'caused by Registered');
  },
);

scopedTest(
  'identity: Registered delivered twice, one after the other or at once, still gives one Send',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const { handlers } = identity(recording);
    const event = await registered(scope, store);
    const { userId } = event.data as { userId: string };
    const commandStream = sendEmailCommandStreamName(registrationEmailId(userId));

    await handlers.events(event);
    const attempts = recording.attempts.length;
    await handlers.events(event);
    t.equal(recording.attempts.length, attempts, 'the second delivery saw the Send and wrote nothing');
    t.deepEqual(await typesIn(store, commandStream), ['Send'], 'one Send');

    // Two deliveries that both pass the check: the deterministic ids make the second write the first.
    const other = await registered(scope, store);
    const otherStream = sendEmailCommandStreamName(registrationEmailId((other.data as { userId: string }).userId));
    recording.holdWrites(2);
    await Promise.all([handlers.events(other), handlers.events(other)]);
    t.deepEqual(
      await typesIn(store, otherStream),
      ['Send'],
      'one Send from two deliveries at once, and neither failed',
    );
  },
);

/** Writes what send-email writes in answer to `send`: follow() carries the correlation back. */
async function answer(store: MessageStore, send: RawMessage, type: 'Sent' | 'Failed'): Promise<void> {
  const { emailId, to, subject } = send.data as { emailId: string; to: string; subject: string };
  const data = type === 'Sent' ? { emailId, to, subject } : { emailId, to, reason: '550 mailbox unavailable' };
  await store.write(sendEmailStreamName(emailId), follow(send, type, data));
}

scopedTest(
  'identity: Sent → RegistrationEmailSent once; Failed → RegistrationEmailFailed once (each delivered twice)',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const component = identity(recording);
    const users = [await registered(scope, store), await registered(scope, store)].map(
      (event) => (event.data as { userId: string }).userId,
    );
    await drain(scope.running(component.subscriptions[1]!));
    const sends = await Promise.all(
      users.map(
        async (userId) => (await store.readStream(sendEmailCommandStreamName(registrationEmailId(userId))))[0]!,
      ),
    );
    await answer(store, sends[0]!, 'Sent');
    await answer(store, sends[1]!, 'Failed');
    // An email to nobody of ours: the correlation filter keeps it away from identity.
    await store.write(sendEmailStreamName(randomUUID()), {
      id: randomUUID(),
      type: 'Sent',
      data: {},
      metadata: { correlationStreamName: 'other-1' },
    });

    const sendEmailEvents = scope.running(component.subscriptions[2]!);
    await drain(sendEmailEvents);
    t.equal(sendEmailEvents.status().handled, 2, 'only the two answers to identity were read');
    const [sentStream, failedStream] = await Promise.all(
      users.map((userId) => store.readStream(identityStreamName(userId))),
    );
    t.deepEqual(
      sentStream!.map((m) => m.type),
      ['Registered', 'RegistrationEmailSent'],
    );
    t.deepEqual(sentStream![1]!.data, { userId: users[0], emailId: registrationEmailId(users[0]!) });
    t.deepEqual(
      failedStream!.map((m) => m.type),
      ['Registered', 'RegistrationEmailFailed'],
    );
    t.deepEqual(failedStream![1]!.data, {
      userId: users[1],
      emailId: registrationEmailId(users[1]!),
      reason: '550 mailbox unavailable',
    });

    // Delivered again: nothing new, and no write even tried.
    const answers = await store.readCategory('sendEmail', { correlation: 'identity' });
    const attempts = recording.attempts.length;
    for (const message of answers) await component.handlers.sendEmailEvents(message);
    t.equal(recording.attempts.length, attempts, 'the redeliveries wrote nothing');
    for (const [index, userId] of users.entries()) {
      t.equal((await store.readStream(identityStreamName(userId))).length, 2, `user ${index + 1} still has two events`);
    }

    // Two deliveries at once both pass the check; the answer's deterministic id keeps it to one.
    const third = (await registered(scope, store)).data as { userId: string };
    await drain(component.subscriptions[1]!);
    const [send] = await store.readStream(sendEmailCommandStreamName(registrationEmailId(third.userId)));
    await answer(store, send!, 'Sent');
    const [sent] = await store.readStream(sendEmailStreamName(registrationEmailId(third.userId)));
    recording.holdWrites(2);
    await Promise.all([component.handlers.sendEmailEvents(sent!), component.handlers.sendEmailEvents(sent!)]);
    t.deepEqual(
      await typesIn(store, identityStreamName(third.userId)),
      ['Registered', 'RegistrationEmailSent'],
      'one RegistrationEmailSent from two deliveries at once',
    );
  },
);

scopedTest(
  'identity: an answer about some other email of the user is not taken for the welcome email',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const { handlers } = identity(store);
    const event = await registered(scope, store);
    const { userId, email } = event.data as { userId: string; email: string };
    const otherEmailId = randomUUID();
    await store.write(sendEmailStreamName(otherEmailId), {
      id: randomUUID(),
      type: 'Sent',
      data: { emailId: otherEmailId, to: email, subject: 'Reset your password' },
      metadata: { correlationStreamName: identityStreamName(userId) },
    });
    const [sent] = await store.readStream(sendEmailStreamName(otherEmailId));
    await handlers.sendEmailEvents(sent!);
    t.deepEqual(await typesIn(store, identityStreamName(userId)), ['Registered'], 'nothing recorded');
  },
);
