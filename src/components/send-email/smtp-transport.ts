import nodemailer from 'nodemailer';
import { mailOptions, type MailTransport } from './outgoing-email.ts';

// nodemailer waits up to two minutes to connect and ten for an idle socket by default; a
// subscriber blocked that long holds up every email behind this one and a graceful stop.
const CONNECTION_TIMEOUT_MS = 10_000;
const GREETING_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/** One connection per email: a component sends one at a time, and nothing is left open between emails. */
export function createSmtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: GREETING_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
  return {
    async send(email) {
      await transporter.sendMail(mailOptions(email));
    },
    close: () => transporter.close(),
  };
}
