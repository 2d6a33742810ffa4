import { sendEmailCommandStreamName, SEND_EMAIL_RETRIES_SUBSCRIBER_ID } from '../../src/contracts/send-email.ts';
import { componentPositionStream } from '../../src/subscription/component-processor.ts';
import {
  answersTo,
  faultyTransport,
  manualClock,
  sendEmailComponent,
  smtpError,
  writeSend,
} from '../fixtures/send-email-component.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
// The component's real waits, with the fake clock doing the waiting: 10 s, then doubling.
const REAL_DELAYS = { firstDelayMs: 10 * SECOND, maxDelayMs: 30 * MINUTE };
// Jitter at its top, so every wait is exactly the ceiling and the times can be asserted.
const NO_JITTER = () => 1;
const refusedConnection = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' });

const typesOf = async (store: Parameters<typeof answersTo>[0], emailId: string) =>
  (await answersTo(store, emailId)).map((message) => message.type);

scopedTest(
  'send-email retries: a server down for three tries is tried again on a schedule until it takes the email: one Sent, the deferrals on record',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const clock = manualClock();
    const transport = faultyTransport((_email, attempt) => (attempt <= 3 ? refusedConnection() : undefined));
    const component = sendEmailComponent(scope, store, transport, {
      now: clock.now,
      random: NO_JITTER,
      retryDelays: REAL_DELAYS,
    });
    const { emailId } = await writeSend(store);
    await drain(component.subscription);
    await drain(component.retries.subscription);

    const waits: number[] = [];
    for (let retry = 1; retry <= 3; retry += 1) {
      t.equal(await component.retries.retryDue(), 0, `retry ${retry}: nothing is due before its time`);
      const [deferred] = (await answersTo(store, emailId)).slice(-1);
      const wait = Date.parse((deferred!.data as { nextAttemptAt: string }).nextAttemptAt) - clock.now();
      waits.push(wait);
      clock.advance(wait);
      t.equal(await component.retries.retryDue(), 1, `retry ${retry}: due once its time has come`);
      await drain(component.subscription);
      await drain(component.retries.subscription);
    }

    t.deepEqual(waits, [10 * SECOND, 20 * SECOND, 40 * SECOND], 'the waits double from the first');
    t.equal(transport.tries.length, 4, 'four tries');
    t.equal(transport.sent.length, 1, 'one email went out');
    const answers = await answersTo(store, emailId);
    t.deepEqual(
      answers.map((answer) => answer.type),
      ['DeliveryDeferred', 'DeliveryDeferred', 'DeliveryDeferred', 'Sent'],
      'three deferrals, then Sent',
    );
    const deferrals = answers
      .slice(0, 3)
      .map((answer) => answer.data as { attempts: number; reason: string; failingSince: string });
    t.deepEqual(
      deferrals.map((data) => data.attempts),
      [1, 2, 3],
      'each counting the tries so far',
    );
    t.ok(
      deferrals.every((data) => data.failingSince === deferrals[0]!.failingSince),
      'all failing since the first try',
    );
    t.match(deferrals[0]!.reason, /ECONNREFUSED/, 'saying why');
    t.equal(component.retries.waiting(), 0, 'nothing left to retry');
    const commands = await store.readStream(sendEmailCommandStreamName(emailId));
    t.deepEqual(
      commands.map((command) => command.type),
      ['Send', 'RetrySend', 'RetrySend', 'RetrySend'],
      "each retry a command in the email's own stream",
    );
  },
);

scopedTest(
  'send-email retries: an email that keeps failing holds up no other: one written after it is sent before the failing one is tried again',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const clock = manualClock();
    const transport = faultyTransport((email) => (email.to === 'down@example.com' ? smtpError(451) : undefined));
    const component = sendEmailComponent(scope, store, transport, { now: clock.now, retryDelays: REAL_DELAYS });
    const stuck = await writeSend(store, { to: 'down@example.com' });
    const next = await writeSend(store, { to: 'ada@example.com' });
    await drain(component.subscription);

    t.deepEqual(
      transport.tries.map((email) => email.to),
      ['down@example.com', 'ada@example.com'],
      'one try of the failing email, then the next email at once',
    );
    t.deepEqual(await typesOf(store, next.emailId), ['Sent'], 'the next email is sent');
    t.deepEqual(
      await typesOf(store, stuck.emailId),
      ['DeliveryDeferred'],
      'the failing one waits on the schedule, not in the handler',
    );
  },
);

scopedTest(
  'send-email retries: a restart reads the schedule again from the store: an email deferred before it is retried after it',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const clock = manualClock();
    const transport = faultyTransport((email, attempt) =>
      email.to === 'later@example.com' && attempt === 1 ? smtpError(421) : undefined,
    );
    const before = sendEmailComponent(scope, store, transport, { now: clock.now, retryDelays: REAL_DELAYS });
    const deferred = await writeSend(store, { to: 'later@example.com' });
    await drain(before.subscription);
    // More emails go through afterwards, so the schedule's subscriber reads well past the deferral.
    for (let n = 0; n < 3; n += 1) await writeSend(store);
    await drain(before.subscription);
    await drain(before.retries.subscription);
    t.equal(before.retries.waiting(), 1, 'the first process knows of one deferred email');
    await before.retries.subscription.stop();
    await before.subscription.stop();

    const [deferral] = await answersTo(store, deferred.emailId);
    const stored = await store.readLastMessage(componentPositionStream(SEND_EMAIL_RETRIES_SUBSCRIBER_ID), 'Read');
    t.ok(
      (stored?.data as { position: number }).position < deferral!.globalPosition,
      'the stored position stays before the deferral not yet retried',
    );

    const after = sendEmailComponent(scope, store, transport, { now: clock.now, retryDelays: REAL_DELAYS });
    await drain(after.retries.subscription);
    t.equal(after.retries.waiting(), 1, 'the restarted process finds it again');
    clock.advance(REAL_DELAYS.firstDelayMs);
    t.equal(await after.retries.retryDue(), 1, 'and retries it when due');
    await drain(after.subscription);
    t.deepEqual(
      await typesOf(store, deferred.emailId),
      ['DeliveryDeferred', 'Sent'],
      'sent on the try after the restart',
    );
  },
);

scopedTest(
  'send-email retries: a 5xx to the recipient is final at once; a 5xx to our log-in is ours to mend, and tried again',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = faultyTransport((email) =>
      email.to === 'nobody@example.com'
        ? smtpError(550)
        : email.to === 'ada@example.com'
          ? smtpError(535, 'AUTH PLAIN')
          : undefined,
    );
    const component = sendEmailComponent(scope, store, transport);
    const refused = await writeSend(store, { to: 'nobody@example.com' });
    const badLogIn = await writeSend(store, { to: 'ada@example.com' });
    await drain(component.subscription);

    t.deepEqual(await typesOf(store, refused.emailId), ['Failed'], 'a refused recipient: Failed, no deferral');
    t.deepEqual(await typesOf(store, badLogIn.emailId), ['DeliveryDeferred'], 'a refused log-in: deferred');
  },
);

scopedTest(
  'send-email retries: an email still not accepted when the retry window is spent is Failed, saying how long it was tried',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const clock = manualClock();
    const transport = faultyTransport(() => smtpError(451));
    // Tries at 0, 10 s and 30 s; the next would come at 70 s, past the minute.
    const component = sendEmailComponent(scope, store, transport, {
      now: clock.now,
      random: NO_JITTER,
      retryDelays: REAL_DELAYS,
      retryWindowMs: MINUTE,
    });
    const { emailId } = await writeSend(store);
    await drain(component.subscription);
    for (const wait of [10 * SECOND, 20 * SECOND]) {
      await drain(component.retries.subscription);
      clock.advance(wait);
      await component.retries.retryDue();
      await drain(component.subscription);
    }

    const answers = await answersTo(store, emailId);
    t.deepEqual(
      answers.map((answer) => answer.type),
      ['DeliveryDeferred', 'DeliveryDeferred', 'Failed'],
      'two deferrals, then Failed',
    );
    t.match(
      (answers[2]!.data as { reason: string }).reason,
      /451 no \(not accepted after 3 tries in 1 minute\)$/,
      "the server's reply and how long it was tried",
    );
    t.equal(transport.tries.length, 3, 'no try past the window');
  },
);

scopedTest(
  'send-email retries: a retry delivered twice, a Send delivered again while deferred, and a retry written twice each make one try',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const clock = manualClock();
    const transport = faultyTransport((_email, attempt) => (attempt === 1 ? smtpError(450) : undefined));
    const component = sendEmailComponent(scope, store, transport, { now: clock.now, retryDelays: REAL_DELAYS });
    const send = await writeSend(store);
    await drain(component.subscription);
    await component.handle(send);
    t.equal(transport.tries.length, 1, 'the Send again while deferred: no second try outside the schedule');

    await drain(component.retries.subscription);
    clock.advance(REAL_DELAYS.maxDelayMs);
    // A second schedule (another process after a handover, say) writes the same retry.
    const other = sendEmailComponent(scope, store, transport, { now: clock.now, retryDelays: REAL_DELAYS });
    await drain(other.retries.subscription);
    await component.retries.retryDue();
    await other.retries.retryDue();
    const commands = await store.readStream(sendEmailCommandStreamName(send.emailId));
    t.deepEqual(
      commands.map((command) => command.type),
      ['Send', 'RetrySend'],
      'one RetrySend, however many wrote it',
    );

    await drain(component.subscription);
    await component.handle(commands[1]!);
    t.equal(transport.tries.length, 2, 'the retry delivered twice: one try');
    t.deepEqual(await typesOf(store, send.emailId), ['DeliveryDeferred', 'Sent'], 'one answer');
  },
);

scopedTest(
  'send-email retries: once started, the schedule retries by itself when an email falls due',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const transport = faultyTransport((_email, attempt) => (attempt === 1 ? refusedConnection() : undefined));
    const component = sendEmailComponent(scope, store, transport);
    component.subscription.start();
    component.retries.subscription.start();
    const { emailId } = await writeSend(store);

    await waitUntil('Sent', async () => (await typesOf(store, emailId)).includes('Sent'));
    t.deepEqual(
      await typesOf(store, emailId),
      ['DeliveryDeferred', 'Sent'],
      "deferred once, then sent by the timer's retry",
    );
  },
);
