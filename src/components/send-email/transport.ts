import type { Logger } from '../../logger.ts';
import { createFileTransport } from './file-transport.ts';
import type { MailTransport } from './outgoing-email.ts';
import { createSmtpTransport } from './smtp-transport.ts';

export type { MailTransport, OutgoingEmail } from './outgoing-email.ts';

export interface MailTransportConfig {
  /** SMTP_URL, e.g. `smtp://user:pass@mail.example.com:587`; unset writes `.eml` files instead. */
  readonly smtpUrl?: string | undefined;
  /** MAIL_DIR: where the files go when there is no SMTP server. */
  readonly mailDir: string;
  readonly logger: Logger;
}

/** SMTP when a server is configured; otherwise files a developer can open, so `npm start` needs no mail server. */
export function createMailTransport({ smtpUrl, mailDir, logger }: MailTransportConfig): MailTransport {
  if (smtpUrl) {
    logger.info({ smtpHost: hostOf(smtpUrl) }, 'emails go to the SMTP server');
    return createSmtpTransport(smtpUrl);
  }
  logger.info({ mailDir }, 'no SMTP_URL: emails are written as .eml files');
  return createFileTransport({ mailDir, logger });
}

// The URL may carry a password: only the host goes into the log.
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'unparsable SMTP_URL';
  }
}
