import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../../logger.ts';
import { mailOptions, type MailTransport } from './outgoing-email.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Writes each email, as the raw RFC 822 message an SMTP server would have received, to
 * `<mailDir>/<emailId>.eml`. Named by the email, so a second delivery replaces the file
 * rather than adding one.
 */
export function createFileTransport({ mailDir, logger }: { mailDir: string; logger: Logger }): MailTransport {
  // CRLF, as on the wire: mail clients open the file as they would the real message.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(email) {
      // The id becomes a file name: the contract makes it a uuid, and a path must not depend on that alone.
      if (!UUID.test(email.emailId)) throw new Error(`not an email id: ${JSON.stringify(email.emailId)}`);
      const { message } = await composer.sendMail(mailOptions(email));
      if (!Buffer.isBuffer(message)) throw new Error('nodemailer returned a stream, not the buffered message');
      await mkdir(mailDir, { recursive: true });
      const file = path.resolve(mailDir, `${email.emailId}.eml`);
      // Written aside and renamed, so a crash never leaves half an email where a reader looks.
      const partial = path.resolve(mailDir, `.${email.emailId}.${randomUUID()}.partial`);
      await writeFile(partial, message);
      await rename(partial, file);
      logger.info({ emailId: email.emailId, file }, 'email written to a file');
    },
    close: () => composer.close(),
  };
}
