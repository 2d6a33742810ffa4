import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import test from 'tape';
import { userKind } from '../../src/as-of/user.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { registrationEmailId } from '../../src/components/identity/ids.ts';
import { sendEmailStreamName } from '../../src/contracts/send-email.ts';
import { withoutAddresses } from '../../src/personal-data/redact.ts';
import { FROM_THIS_SITE, profileFields } from '../helpers/accounts.ts';
import { csrfTokenOf } from '../helpers/http.ts';
import { createTestSystem } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { startSmtpServer } from '../fixtures/send-email-smtp-server.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const PASSWORD = 'a long enough password';
const EMAIL = 'grace@example.com';

scopedTest(
  'email failure reason: a server that names the refused recipient leaves no address in Failed, RegistrationEmailFailed or the logs',
  async (t, scope) => {
    // Busy once (a retry, which is logged), then refused for good; both replies repeat the address, as Postfix does.
    const smtp = await startSmtpServer(scope, (attempt) =>
      attempt === 1
        ? { code: 450, message: `4.2.1 <${EMAIL}>: Recipient address rejected: try again later` }
        : { code: 550, message: `5.1.1 <${EMAIL}>: Recipient address rejected: User unknown` },
    );
    const lines: string[] = [];
    const logger = pino(
      { base: undefined, level: 'trace' },
      new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) }),
    );
    const system = await createTestSystem({
      logger,
      mail: { smtpUrl: smtp.url, dir: 'unused', from: 'Video Tutorials <hello@video-tutorials.test>' },
    });
    scope.add(system, (s) => s.stop());
    system.start();

    const agent = request.agent(system.app);
    const page = await agent.get('/register');
    const userId = /name="userId" value="([^"]+)"/.exec(page.text)![1]!;
    await agent
      .post('/register')
      .set(FROM_THIS_SITE)
      .type('form')
      .send({
        _csrf: csrfTokenOf(page),
        userId,
        email: EMAIL,
        password: PASSWORD,
        passwordAgain: PASSWORD,
        ...profileFields(),
      })
      .expect(303);
    const failed = await waitUntil('RegistrationEmailFailed', async () =>
      (await system.messageStore.readStream(identityStreamName(userId))).find(
        (message) => message.type === 'RegistrationEmailFailed',
      ),
    );
    t.equal(smtp.rcptCount(), 2, 'tried twice: busy, then refused');

    const [deferred, answer] = await system.messageStore.readStream(sendEmailStreamName(registrationEmailId(userId)));
    t.equal(deferred?.type, 'DeliveryDeferred', 'send-email deferred the email after the 450');
    t.match(
      (deferred!.data as { reason: string }).reason,
      /450 4\.2\.1 <\[address\]>: Recipient address rejected: try again later/,
      "the deferral's reason keeps the server's words",
    );
    t.equal(answer?.type, 'Failed', 'then answered Failed after the 550');
    const reason = (answer!.data as { reason: string }).reason;
    t.match(
      reason,
      /550 5\.1\.1 <\[address\]>: Recipient address rejected: User unknown/,
      "Failed's reason keeps the server's code and words",
    );
    t.notOk(reason.toLowerCase().includes('grace'), 'but not the address');
    const copied = (failed.data as { reason: string }).reason;
    t.equal(copied, reason, 'RegistrationEmailFailed copies it');
    t.notOk(JSON.stringify(failed).toLowerCase().includes('grace'), 'RegistrationEmailFailed holds no address');

    const logged = lines.join('').toLowerCase();
    t.ok(
      logged.includes('email not accepted; trying again') && logged.includes('email failed'),
      'the retry and the failure were logged',
    );
    t.notOk(logged.includes(EMAIL), 'no log line holds the address');
    t.notOk(logged.includes('grace'), 'nor any part of it');

    const identity = await system.messageStore.readStream(identityStreamName(userId));
    const welcome = userKind.fold(identity).fields.find((field) => field.label === 'Welcome email')?.value;
    t.match(welcome ?? '', /^failed: .*550/, 'the as-of view shows the failure');
  },
);

test('email failure reason: withoutAddresses removes the known address however it is spelled, and anything shaped like one', (t) => {
  t.equal(
    withoutAddresses('550 <Grace@Example.COM>: no such user', ['grace@example.com']),
    '550 <[address]>: no such user',
  );
  t.equal(withoutAddresses('rejected: "grace@example.com" and bob@example.org'), 'rejected: "[address]" and [address]');
  t.equal(withoutAddresses('421 try later'), '421 try later', 'a reply without an address is kept as it is');
  t.end();
});
