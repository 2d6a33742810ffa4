import { randomUUID } from 'node:crypto';
import { createMailTransport } from '../../src/components/send-email/index.ts';
import {
  answersTo,
  counting,
  manualClock,
  QUICK_RETRY_DELAYS,
  sendEmailComponent,
  writeSend,
} from '../fixtures/send-email-component.ts';
import { downSmtpUrl, startSmtpServer } from '../fixtures/send-email-smtp-server.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';

const smtpTransport = (smtpUrl: string) => createMailTransport({ smtpUrl, mailDir: 'unused', logger: silentLogger });

scopedTest(
  'send-email: a server busy once (451) then accepting gets the email on the next try: one email, one Sent',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const smtp = await startSmtpServer(scope, (attempt) =>
      attempt === 1 ? { code: 451, message: 'try again later' } : undefined,
    );
    const clock = manualClock();
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url), { now: clock.now });
    const { emailId } = await writeSend(store);
    await drain(component.subscription);
    await drain(component.retries.subscription);
    clock.advance(QUICK_RETRY_DELAYS.maxDelayMs);
    await component.retries.retryDue();
    await drain(component.subscription);

    t.equal(smtp.rcptCount(), 2, 'tried twice');
    t.equal(smtp.received.length, 1, 'one email arrived');
    t.deepEqual(
      (await answersTo(store, emailId)).map((answer) => answer.type),
      ['DeliveryDeferred', 'Sent'],
      'deferred, then one Sent',
    );
  },
);

scopedTest(
  'send-email: a server that stays busy (451) is tried until the retry window is spent, then the email is Failed with its reply',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const smtp = await startSmtpServer(scope, () => ({ code: 451, message: 'mailbox busy' }));
    const clock = manualClock();
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url), {
      now: clock.now,
      retryWindowMs: 10 * QUICK_RETRY_DELAYS.maxDelayMs,
    });
    const { emailId } = await writeSend(store, { to: 'busy@example.com' });
    await drain(component.subscription);
    while ((await answersTo(store, emailId)).at(-1)?.type === 'DeliveryDeferred') {
      await drain(component.retries.subscription);
      clock.advance(QUICK_RETRY_DELAYS.maxDelayMs);
      await component.retries.retryDue();
      await drain(component.subscription);
    }

    const answers = await answersTo(store, emailId);
    const failed = answers.at(-1)!;
    t.equal(failed.type, 'Failed', 'Failed in the end');
    t.equal(smtp.rcptCount(), answers.length, 'one try per answer');
    t.ok(answers.length > 2, 'after several tries');
    const data = failed.data as { emailId: string; to: string; reason: string };
    t.equal(data.emailId, emailId);
    t.equal(data.to, 'busy@example.com');
    t.match(data.reason, /451 mailbox busy/, "with the server's reply as the reason");
    t.equal(component.subscription.status().parked, 0, 'an answered failure, not a parked command');
  },
);

scopedTest('send-email: a server that refuses for good (550) is not asked again: Failed at once', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const smtp = await startSmtpServer(scope, () => ({ code: 550, message: 'no such user' }));
  const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
  const { emailId } = await writeSend(store);
  await drain(component.subscription);

  t.equal(smtp.rcptCount(), 1, 'one try: the same message would be refused again');
  t.equal(smtp.received.length, 0, 'nothing arrived');
  const answers = await answersTo(store, emailId);
  t.deepEqual(
    answers.map((answer) => answer.type),
    ['Failed'],
  );
  t.match((answers[0]!.data as { reason: string }).reason, /550 no such user/);
});

scopedTest('send-email: a mail server that is down is tried again later; the subscriber goes on', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const transport = counting(smtpTransport(await downSmtpUrl()));
  const component = sendEmailComponent(scope, store, transport);
  const { emailId } = await writeSend(store);
  await drain(component.subscription);

  t.equal(transport.tries.length, 1, 'one try now');
  const answers = await answersTo(store, emailId);
  t.deepEqual(
    answers.map((answer) => answer.type),
    ['DeliveryDeferred'],
  );
  t.match((answers[0]!.data as { reason: string }).reason, /ECONNREFUSED/, 'saying why');
  // A refused connection carries the errno a database outage does; it must not stall the subscriber.
  t.equal(component.subscription.status().readError, undefined, 'not taken for a message store outage');
});

scopedTest('send-email: a Send for an email id already answered by another command is ignored', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const smtp = await startSmtpServer(scope, () => ({ code: 550, message: 'no such user' }));
  const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
  const emailId = randomUUID();
  await writeSend(store, { emailId });
  await drain(component.subscription);
  // A Failed email stays failed: a second Send with its id is a duplicate, not a retry.
  await writeSend(store, { emailId });
  await drain(component.subscription);

  t.equal(smtp.rcptCount(), 1, 'one try in all');
  t.deepEqual(
    (await answersTo(store, emailId)).map((answer) => answer.type),
    ['Failed'],
    'one answer',
  );
});
