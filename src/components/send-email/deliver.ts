import { withoutAddresses } from '../../personal-data/redact.ts';
import type { MailTransport, OutgoingEmail } from './outgoing-email.ts';

// Enough of the server's words to act on, not a whole transcript in every event.
const MAX_REASON_LENGTH = 500;

/**
 * One try at the transport. `refused`: it would be refused again whatever we waited (the
 * server said 5xx to this recipient or message). `not yet`: anything else, which may pass (a
 * 4xx reply, a server that cannot be reached, a full or unwritable mail folder, a timeout).
 */
export type Delivery =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'refused'; readonly reason: string }
  | { readonly outcome: 'not yet'; readonly reason: string };

// The SMTP commands whose 5xx reply is about this email: its recipient, or its content. A 5xx
// to the greeting, EHLO, AUTH or MAIL FROM is about our own setup (credentials, the sender
// address), which an operator can mend: those are tried again like any other fault that may pass.
const ABOUT_THIS_EMAIL = new Set(['RCPT TO', 'DATA']);

/**
 * nodemailer marks every 5xx reply `permanent` and names the command it answered. A transport
 * of ours may also mark an error `permanent` without any reply (the email itself cannot be sent).
 */
export function isRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { permanent, responseCode, command } = error as {
    permanent?: unknown;
    responseCode?: unknown;
    command?: unknown;
  };
  if (permanent !== true) return false;
  return responseCode === undefined || (typeof command === 'string' && ABOUT_THIS_EMAIL.has(command));
}

/**
 * Hands the email to the transport once; never throws for a failure of the transport. The
 * error itself goes no further than its reason: nodemailer's carries the refused addresses (in
 * its message, `response`, `rejected`), and neither the store nor the log can be erased.
 */
export async function deliverOnce(email: OutgoingEmail, transport: MailTransport): Promise<Delivery> {
  try {
    await transport.send(email);
    return { outcome: 'delivered' };
  } catch (error) {
    const reason = reasonOf(error, email.to);
    return isRefusal(error) ? { outcome: 'refused', reason } : { outcome: 'not yet', reason };
  }
}

/**
 * The server's reply (nodemailer puts the code and text in the message, "… 550 5.1.1 <x@y>:
 * Recipient address rejected"), or the system error, without any address or server path in
 * it. A reply often repeats the recipient, and a file system error names the file: the reason
 * is kept in Failed, DeliveryDeferred and identity's events for good, where erasing the user
 * could not reach it (docs/personal-data.md) and where a visitor's page may show it.
 */
export function reasonOf(error: unknown, recipient: string): string {
  const text = error instanceof Error ? error.message : String(error);
  const message = withoutAddresses(withoutPaths(text, pathsOf(error)), [recipient]);
  return message.length > MAX_REASON_LENGTH ? `${message.slice(0, MAX_REASON_LENGTH - 1)}…` : message;
}

/** What stands for a server path removed from a reason. */
export const PATH_REMOVED = '[path]';

/** The files a Node system error names (`path`, and `dest` for a rename), as they appear in its message. */
function pathsOf(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  const { path, dest } = error as { path?: unknown; dest?: unknown };
  return [path, dest].filter((value): value is string => typeof value === 'string' && value !== '');
}

// An absolute path: a slash after the start, a space, a quote or a bracket, and no slash or
// colon just before it (so a URL's "//host/page" is left alone). One pass, no backtracking.
const ABSOLUTE_PATH = /(^|[\s'"(<[=,;])\/(?!\/)[^\s'"()<>[\],;]+/g;
// The same on Windows (a drive, C:\ or C:/, or a share, \\server\share) and as a file: URL, which
// the one above passes over (a colon or a slash before its slash).
const WINDOWS_PATH = /(^|[\s'"(<[=,;])(?:[A-Za-z]:[\\/]|\\\\)[^\s'"()<>[\],;]+/g;
const FILE_URL = /\bfile:\/\/[^\s'"()<>[\],;]*/gi;

/** The known paths first (they may hold spaces), then anything shaped like an absolute path. */
export function withoutPaths(text: string, known: readonly string[] = []): string {
  const named = known.reduce((rest, file) => rest.split(file).join(PATH_REMOVED), text);
  const keepBefore = (_match: string, before: string) => `${before}${PATH_REMOVED}`;
  return named.replace(FILE_URL, PATH_REMOVED).replace(WINDOWS_PATH, keepBefore).replace(ABSOLUTE_PATH, keepBefore);
}
