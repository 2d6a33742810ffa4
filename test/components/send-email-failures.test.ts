import { randomUUID } from 'node:crypto';
import test from 'tape';
import { createMailTransport } from '../../src/components/send-email/index.ts';
import { SEND_EMAIL_SUBSCRIBER_ID } from '../../src/components/send-email/contract.ts';
import { answersTo, counting, sendEmailComponent, writeSend } from '../fixtures/send-email-component.ts';
import { downSmtpUrl, startSmtpServer } from '../fixtures/send-email-smtp-server.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { createScope } from '../helpers/scope.ts';
import { drain } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const smtpTransport = (smtpUrl: string) => createMailTransport({ smtpUrl, mailDir: 'unused', logger: silentLogger });

test('send-email: a server busy once (451) then accepting gets the email on the second try: one email, one Sent', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const smtp = await startSmtpServer(scope, (attempt) => (attempt === 1 ? { code: 451, message: 'try again later' } : undefined));
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
    const { emailId } = await writeSend(store);
    await drain(component.subscription);

    t.equal(smtp.rcptCount(), 2, 'tried twice');
    t.equal(smtp.received.length, 1, 'one email arrived');
    t.deepEqual((await answersTo(store, emailId)).map((answer) => answer.type), ['Sent'], 'one Sent');
  } finally {
    await scope.close();
  }
});

test('send-email: a server that stays busy (451) is tried every allowed time, then the email is Failed with its reply', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const smtp = await startSmtpServer(scope, () => ({ code: 451, message: 'mailbox busy' }));
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
    const { emailId } = await writeSend(store, { to: 'busy@example.com' });
    await drain(component.subscription);

    t.equal(smtp.rcptCount(), FAST_RETRY.attempts, 'every attempt the policy allows');
    const answers = await answersTo(store, emailId);
    t.deepEqual(answers.map((answer) => answer.type), ['Failed'], 'one Failed');
    const data = answers[0]!.data as { emailId: string; to: string; reason: string };
    t.equal(data.emailId, emailId);
    t.equal(data.to, 'busy@example.com');
    t.match(data.reason, /451 mailbox busy/, "with the server's reply as the reason");
    t.equal(component.subscription.status().parked, 0, 'an answered failure, not a parked command');
  } finally {
    await scope.close();
  }
});

test('send-email: a server that refuses for good (550) is not asked again: Failed at once', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const smtp = await startSmtpServer(scope, () => ({ code: 550, message: 'no such user' }));
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
    const { emailId } = await writeSend(store);
    await drain(component.subscription);

    t.equal(smtp.rcptCount(), 1, 'one try: the same message would be refused again');
    t.equal(smtp.received.length, 0, 'nothing arrived');
    const answers = await answersTo(store, emailId);
    t.deepEqual(answers.map((answer) => answer.type), ['Failed']);
    t.match((answers[0]!.data as { reason: string }).reason, /550 no such user/);
  } finally {
    await scope.close();
  }
});

test('send-email: a mail server that is down is tried every allowed time, then Failed; the subscriber goes on', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const transport = counting(smtpTransport(await downSmtpUrl()));
    const component = sendEmailComponent(scope, store, transport);
    const { emailId } = await writeSend(store);
    await drain(component.subscription);

    t.equal(transport.tries.length, FAST_RETRY.attempts, 'every attempt the policy allows');
    const answers = await answersTo(store, emailId);
    t.deepEqual(answers.map((answer) => answer.type), ['Failed']);
    t.match((answers[0]!.data as { reason: string }).reason, /ECONNREFUSED/, 'saying why');
    // A refused connection carries the errno a database outage does; it must not stall the subscriber.
    t.equal(component.subscription.status().readError, undefined, 'not taken for a message store outage');
  } finally {
    await scope.close();
  }
});

test('send-email: a stop while waiting to try again leaves the command for the next start: no answer, nothing parked', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const transport = counting(smtpTransport(await downSmtpUrl()));
    const component = sendEmailComponent(scope, store, transport, { deliveryRetry: { attempts: 2, initialDelayMs: 20_000, maxDelayMs: 20_000 } });
    const command = await writeSend(store);
    component.subscription.start();
    await waitUntil('the first try', () => transport.tries.length === 1);

    const started = Date.now();
    await component.subscription.stop();
    t.ok(Date.now() - started < 5_000, 'stop does not sit out the backoff');
    t.equal(transport.tries.length, 1, 'no further tries');
    t.equal((await answersTo(store, command.emailId)).length, 0, 'neither Sent nor Failed');
    t.equal((await store.readStream(`deadLetter-${SEND_EMAIL_SUBSCRIBER_ID}`)).length, 0, 'not parked');
    const status = component.subscription.status();
    t.ok(status.checkpoint < command.globalPosition, 'the stored position stays before the command, so it comes again');
  } finally {
    await scope.close();
  }
});

test('send-email: a Send for an email id already answered by another command is ignored', async (t) => {
  const scope = createScope();
  try {
    const { store } = await openTestStore(scope);
    const smtp = await startSmtpServer(scope, () => ({ code: 550, message: 'no such user' }));
    const component = sendEmailComponent(scope, store, smtpTransport(smtp.url));
    const emailId = randomUUID();
    await writeSend(store, { emailId });
    await drain(component.subscription);
    // A Failed email stays failed: a second Send with its id is a duplicate, not a retry.
    await writeSend(store, { emailId });
    await drain(component.subscription);

    t.equal(smtp.rcptCount(), 1, 'one try in all');
    t.deepEqual((await answersTo(store, emailId)).map((answer) => answer.type), ['Failed'], 'one answer');
  } finally {
    await scope.close();
  }
});
