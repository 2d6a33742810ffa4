import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createMailTransport } from '../../src/components/send-email/index.ts';
import { answersTo, FROM, manualClock, sendEmailComponent, writeSend } from '../fixtures/send-email-component.ts';
import { parseEmail } from '../fixtures/send-email-smtp-server.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain } from '../helpers/subscribers.ts';

scopedTest(
  'send-email: without an SMTP URL each email is one .eml file, named by its id, in a directory made for it',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const tmp = scope.add(await mkdtemp(path.join(os.tmpdir(), 'send-email-')), (dir) =>
      rm(dir, { recursive: true, force: true }),
    );
    const mailDir = path.join(tmp, 'not', 'there', 'yet');
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info', base: undefined },
      { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const component = sendEmailComponent(scope, store, createMailTransport({ mailDir, logger }));
    const command = await writeSend(store, {
      to: 'ada@example.com',
      subject: 'Welcome, Ada',
      text: 'Hello Ada.',
      html: '<p>Hello <b>Ada</b>.</p>',
    });
    await drain(component.subscription);
    await component.handle(command); // again: the file is not written twice

    t.deepEqual(
      await readdir(mailDir),
      [`${command.emailId}.eml`],
      'one file, named by the email id, no partial file left',
    );
    const raw = await readFile(path.join(mailDir, `${command.emailId}.eml`), 'utf8');
    t.ok(raw.includes('\r\n'), 'CRLF line ends, as on the wire');
    const { headers, parts } = parseEmail(raw);
    t.equal(headers.get('to'), 'ada@example.com');
    t.equal(headers.get('from'), FROM);
    t.equal(headers.get('subject'), 'Welcome, Ada');
    t.deepEqual(
      parts.map((part) => [part.contentType.split(';')[0], part.body]),
      [
        ['text/plain', 'Hello Ada.'],
        ['text/html', '<p>Hello <b>Ada</b>.</p>'],
      ],
    );
    t.deepEqual(
      (await answersTo(store, command.emailId)).map((answer) => answer.type),
      ['Sent'],
      'answered Sent',
    );

    const written = logs.filter((line) => line.msg === 'email written to a file');
    t.equal(written.length, 1, 'one log line for the file');
    t.equal(written[0]?.level, 30, 'at info');
    t.equal(written[0]?.file, path.join(mailDir, `${command.emailId}.eml`), 'saying where it went');
  },
);

scopedTest(
  'send-email: the file transport refuses an email id that is not a uuid rather than build a path from it',
  async (t, scope) => {
    const tmp = scope.add(await mkdtemp(path.join(os.tmpdir(), 'send-email-')), (dir) =>
      rm(dir, { recursive: true, force: true }),
    );
    const transport = scope.add(createMailTransport({ mailDir: tmp, logger: pino({ level: 'silent' }) }), (tr) =>
      tr.close(),
    );
    const email = { emailId: '../../escape', from: FROM, to: 'ada@example.com', subject: 's', text: 't', html: 'h' };
    try {
      await transport.send(email);
      t.fail('sent');
    } catch (error) {
      t.match(String(error), /not an email id/);
    }
    t.deepEqual(await readdir(tmp), [], 'nothing written');
  },
);

scopedTest(
  'send-email: a mail folder that cannot be written is tried again, its reason names no server path, and the email goes out once the folder is back',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const tmp = scope.add(await mkdtemp(path.join(os.tmpdir(), 'send-email-')), (dir) =>
      rm(dir, { recursive: true, force: true }),
    );
    // A file where the folder should be: the mail folder "unavailable" (a full or read-only disk acts alike, but cannot be made here as root).
    const blocker = path.join(tmp, 'mail-volume');
    await writeFile(blocker, 'not a folder');
    const mailDir = path.join(blocker, 'mail');
    const clock = manualClock();
    const component = sendEmailComponent(
      scope,
      store,
      createMailTransport({ mailDir, logger: pino({ level: 'silent' }) }),
      { now: clock.now },
    );
    const command = await writeSend(store);
    await drain(component.subscription);

    const [first] = await answersTo(store, command.emailId);
    const stored = JSON.stringify(first);
    t.match(stored, /ENOTDIR/, 'the reason says what went wrong');
    t.notOk(stored.includes(tmp), 'but not where: no server path in the stored reason');
    t.notOk(stored.includes('mail-volume'), "nor any part of the folder's path");
    t.equal(
      first?.type,
      'DeliveryDeferred',
      'a folder that cannot be written is a fault that may pass: tried again later',
    );

    // The fault passes.
    await rm(blocker);
    await drain(component.retries.subscription);
    clock.advance(60_000);
    await component.retries.retryDue();
    await drain(component.subscription);
    t.deepEqual(
      (await answersTo(store, command.emailId)).map((answer) => answer.type),
      ['DeliveryDeferred', 'Sent'],
      'sent on the next try',
    );
    t.deepEqual(await readdir(mailDir), [`${command.emailId}.eml`], 'the email is in the folder');
  },
);
