import { randomBytes, randomUUID } from 'node:crypto';
import { createMailTransport, type MailTransport, type OutgoingEmail } from '../../src/components/send-email/index.ts';
import { SEND_EMAIL_CATEGORY, SEND_EMAIL_SUBSCRIBER_ID } from '../../src/contracts/send-email.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { openWith, sealWith, type PersonalData } from '../../src/personal-data/seal.ts';
import { parkedData } from '../../src/subscription/component-processor.ts';
import {
  answersTo,
  counting,
  FROM,
  memoryTransport,
  sendEmailComponent,
  writeSend,
} from '../fixtures/send-email-component.ts';
import { parseEmail, startSmtpServer } from '../fixtures/send-email-smtp-server.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

scopedTest(
  'send-email: a Send reaches the SMTP server with its recipient, subject, text and HTML, and is answered Sent',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const smtp = await startSmtpServer(scope);
    const { subscription } = sendEmailComponent(
      scope,
      store,
      createMailTransport({ smtpUrl: smtp.url, mailDir: 'unused', logger: silentLogger }),
    );
    subscription.start();
    const emailId = randomUUID();
    await writeSend(store, {
      emailId,
      to: 'grace@example.com',
      subject: 'Welcome, Grace',
      text: 'Your account is ready.',
      html: '<p>Your account is <em>ready</em>.</p>',
    });

    const answer = await waitUntil('the answer', async () => (await answersTo(store, emailId))[0]);
    t.equal(answer!.type, 'Sent');
    t.deepEqual(
      answer!.data,
      { emailId, to: 'grace@example.com', subject: 'Welcome, Grace' },
      'Sent names the email, recipient and subject',
    );

    t.equal(smtp.received.length, 1, 'one email arrived');
    const [mail] = smtp.received;
    t.deepEqual(mail!.envelopeTo, ['grace@example.com'], 'addressed to the recipient');
    const { headers, parts } = parseEmail(mail!.raw);
    t.equal(headers.get('to'), 'grace@example.com');
    t.equal(headers.get('from'), FROM, 'from the configured sender');
    t.equal(headers.get('subject'), 'Welcome, Grace');
    t.equal(
      headers.get('message-id'),
      `<${emailId}@video-tutorials.example>`,
      'its Message-ID comes from the email id',
    );
    t.deepEqual(
      parts.map((part) => [part.contentType.split(';')[0], part.body]),
      [
        ['text/plain', 'Your account is ready.'],
        ['text/html', '<p>Your account is <em>ready</em>.</p>'],
      ],
      'a text and an HTML part',
    );
    t.equal(subscription.status().parked, 0, 'nothing parked');
  },
);

scopedTest('send-email: the same Send delivered twice sends one email and writes one answer', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const transport = memoryTransport();
  const component = sendEmailComponent(scope, store, transport);
  const emailId = randomUUID();
  // A sender that wrote its command twice, and then a redelivery after a crash.
  const first = await writeSend(store, { emailId });
  await writeSend(store, { emailId });
  await drain(component.subscription);
  await component.handle(first);

  t.equal(transport.sent.length, 1, 'one email');
  const answers = await answersTo(store, emailId);
  t.deepEqual(
    answers.map((answer) => answer.type),
    ['Sent'],
    'one Sent',
  );
  t.equal(answers[0]!.metadata.causationMessageGlobalPosition, first.globalPosition, 'answering the first command');
});

/** A transport that holds every send until `parties` of them have arrived, so deliveries overlap. */
function meetingTransport(parties: number): MailTransport & { readonly sent: OutgoingEmail[] } {
  const sent: OutgoingEmail[] = [];
  let release: () => void = () => undefined;
  const together = new Promise<void>((resolve) => (release = resolve));
  return {
    sent,
    async send(email) {
      sent.push(email);
      if (sent.length >= parties) release();
      await together;
    },
    close: () => undefined,
  };
}

scopedTest(
  'send-email: two deliveries of one Send racing past the check write one answer between them',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = meetingTransport(2);
    // Two processes (after a handover, or an operator's replay) holding the same command.
    const one = sendEmailComponent(scope, store, transport);
    const other = sendEmailComponent(scope, store, transport);
    const emailId = randomUUID();
    const command = await writeSend(store, { emailId });

    await Promise.all([one.handle(command), other.handle(command)]);
    t.equal(transport.sent.length, 2, 'both read "unanswered" before either wrote (the race is real)');
    const answers = await answersTo(store, emailId);
    t.deepEqual(
      answers.map((answer) => answer.type),
      ['Sent'],
      'one answer: the second write met the version it expected gone',
    );
  },
);

/** A store whose first write of an answer fails as when the connection drops. */
function storeThatDropsFirstAnswer(store: MessageStore): MessageStore {
  let dropped = false;
  return {
    ...store,
    async write(stream, message, expectedVersion) {
      if (!dropped && stream.startsWith(`${SEND_EMAIL_CATEGORY}-`)) {
        dropped = true;
        throw new Error('Connection terminated unexpectedly');
      }
      return store.write(stream, message, expectedVersion);
    },
  };
}

scopedTest(
  'send-email: when the answer cannot be written after the email went out, the retry writes it without a second email',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = memoryTransport();
    const component = sendEmailComponent(scope, storeThatDropsFirstAnswer(store), transport);
    const emailId = randomUUID();
    await writeSend(store, { emailId });
    await drain(component.subscription);

    t.equal(transport.sent.length, 1, 'one email');
    t.deepEqual(
      (await answersTo(store, emailId)).map((answer) => answer.type),
      ['Sent'],
      'one Sent, written on the second try',
    );
    t.equal(component.subscription.status().parked, 0, 'nothing parked');
  },
);

scopedTest(
  'send-email: a Send whose data breaks the contract is parked, nothing is sent, and the next Send goes on',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = counting(memoryTransport());
    const { subscription } = sendEmailComponent(scope, store, transport);
    subscription.start();
    const bad = await writeSend(store, { to: 'not an address' });
    const headerInjection = await writeSend(store, { subject: 'Hi\r\nBcc: everyone@example.com' });
    const good = await writeSend(store);

    await waitUntil('the valid Send to be answered', async () => (await answersTo(store, good.emailId)).length === 1);
    t.deepEqual(
      transport.tries.map((email) => email.emailId),
      [good.emailId],
      'only the valid one was sent',
    );
    const parked = await store.readStream(`deadLetter-${SEND_EMAIL_SUBSCRIBER_ID}`);
    const reasons = parked.map((entry) => parkedData.parse(entry.data));
    t.deepEqual(
      reasons.map((entry) => entry.message.id),
      [bad.id, headerInjection.id],
      'both bad commands parked, by reference',
    );
    t.match(reasons[0]!.error, /MessageDataError.*to/, 'saying which field');
    t.match(reasons[1]!.error, /subject.*line breaks/, 'a subject that would add headers is refused');
    t.equal(reasons[0]!.attempts, 1, 'not retried: no retry mends data');
    t.equal((await answersTo(store, bad.emailId)).length, 0, 'and not answered');
  },
);

scopedTest(
  'send-email: Sent carries trace, user and correlation forward, so the sender picks out its answers by correlation',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const component = sendEmailComponent(scope, store, memoryTransport());
    const userId = randomUUID();
    const emailId = randomUUID();
    const command = await writeSend(
      store,
      { emailId },
      { traceId: 'trace-42', userId, correlationStreamName: `identity-${userId}` },
    );
    await writeSend(store, {}, { traceId: 'trace-other', correlationStreamName: `somethingElse-${randomUUID()}` });
    await drain(component.subscription);

    const forIdentity = await store.readCategory(SEND_EMAIL_CATEGORY, { correlation: 'identity' });
    t.equal(forIdentity.length, 1, "Message DB's correlation filter finds identity's answer and only that");
    const [sent] = forIdentity;
    t.equal(sent!.streamName, `${SEND_EMAIL_CATEGORY}-${emailId}`);
    t.equal(sent!.metadata.traceId, 'trace-42', 'traceId carried');
    t.equal(sent!.metadata.userId, userId, 'userId carried');
    t.equal(sent!.metadata.correlationStreamName, `identity-${userId}`, 'correlationStreamName carried');
    t.equal(sent!.metadata.causationMessageStreamName, command.streamName, 'caused by the command');
    t.equal(sent!.metadata.causationMessageGlobalPosition, command.globalPosition);
  },
);

/** A key store in memory, enough for send-email: one key per user, `erase` deletes it. */
function memoryPersonalData(): PersonalData {
  const keys = new Map<string, Buffer>();
  return {
    async seal(userId, value) {
      if (!keys.has(userId)) keys.set(userId, randomBytes(32));
      return sealWith(keys.get(userId)!, value);
    },
    async open(userId, value) {
      if (typeof value === 'string') return value;
      const key = keys.get(userId);
      return key ? openWith(key, value) : undefined;
    },
    async erase(userId) {
      keys.delete(userId);
    },
    isErased: async () => false,
  };
}

scopedTest(
  'send-email: a sealed to is opened with sealedFor’s key, sent to the address, and stays sealed in Sent',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const smtp = await startSmtpServer(scope);
    const personalData = memoryPersonalData();
    const { subscription } = sendEmailComponent(
      scope,
      store,
      createMailTransport({ smtpUrl: smtp.url, mailDir: 'unused', logger: silentLogger }),
      {
        personalData,
      },
    );
    subscription.start();
    const userId = randomUUID();
    const to = await personalData.seal(userId, 'hopper@example.com');
    const send = await writeSend(store, {
      to,
      sealedFor: userId,
      subject: 'Welcome',
      text: 'You have registered.',
      html: '<p>You have registered.</p>',
    });

    const answer = await waitUntil('the answer', async () => (await answersTo(store, send.emailId))[0]);
    t.equal(answer!.type, 'Sent');
    t.deepEqual(
      answer!.data,
      { emailId: send.emailId, to, sealedFor: userId, subject: 'Welcome' },
      'Sent carries to exactly as the Send had it',
    );
    for (const message of [send, answer!]) {
      t.doesNotMatch(JSON.stringify(message.data), /hopper/, `the stored ${message.type} holds no plain address`);
    }
    t.equal(smtp.received.length, 1, 'one email arrived');
    t.deepEqual(smtp.received[0]!.envelopeTo, ['hopper@example.com'], 'at the address that was sealed');
    t.equal(parseEmail(smtp.received[0]!.raw).headers.get('to'), 'hopper@example.com');
  },
);

scopedTest(
  'send-email: a sealed to whose key was erased before delivery → Failed "the recipient was erased", nothing sent',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = counting(memoryTransport());
    const personalData = memoryPersonalData();
    const component = sendEmailComponent(scope, store, transport, { personalData });
    const userId = randomUUID();
    const to = await personalData.seal(userId, 'erased@example.com');
    const send = await writeSend(store, { to, sealedFor: userId });
    await personalData.erase(userId);
    await drain(component.subscription);

    t.equal(transport.tries.length, 0, 'nothing sent');
    const answers = await answersTo(store, send.emailId);
    t.deepEqual(
      answers.map((answer) => answer.type),
      ['Failed'],
      'answered Failed',
    );
    t.deepEqual(
      answers[0]!.data,
      { emailId: send.emailId, to, sealedFor: userId, reason: 'the recipient was erased' },
      'with that reason, to still sealed',
    );
    t.equal(component.subscription.status().parked, 0, 'nothing parked');

    // A sealed to without sealedFor breaks the contract: parked, never sent.
    const orphan = await writeSend(store, { to });
    await drain(component.subscription);
    t.equal(transport.tries.length, 0, 'still nothing sent');
    t.deepEqual(await answersTo(store, orphan.emailId), [], 'and not answered');
    t.equal(component.subscription.status().parked, 1, 'parked');
  },
);
