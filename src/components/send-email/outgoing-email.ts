import type { SendMailOptions } from 'nodemailer';

/** One email as the handler hands it to a transport. */
export interface OutgoingEmail {
  readonly emailId: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface MailTransport {
  /** Resolves once the email is handed over (the SMTP server accepted it, or the file is written); rejects otherwise. */
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/** The nodemailer message for an email, the same whichever transport carries it. */
export function mailOptions(email: OutgoingEmail): SendMailOptions {
  return {
    from: email.from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    // Derived from the email's id, so the rare second copy (src/contracts/send-email.md) can be
    // recognised as the same message by the receiving side.
    messageId: `<${email.emailId}@${domainOf(email.from)}>`,
  };
}

/** The domain of the From address: after its last "@", up to a ">" or a space. */
function domainOf(from: string): string {
  const at = from.lastIndexOf('@');
  const domain = at === -1 ? '' : (from.slice(at + 1).split(/[\s>]/, 1)[0] ?? '');
  return domain === '' ? 'send-email.invalid' : domain;
}
