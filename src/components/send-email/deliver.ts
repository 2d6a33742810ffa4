import type { Logger } from '../../logger.ts';
import { withoutAddresses } from '../../personal-data/redact.ts';
import { attemptWithRetries, isPermanent, type RetryPolicy } from '../../subscription/retry.ts';
import type { MailTransport, OutgoingEmail } from './outgoing-email.ts';

/** A few quick tries ride out a dropped connection or a busy server without holding up the emails behind this one for long. */
export const DELIVERY_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 500, maxDelayMs: 4_000 };

// Enough of the server's words to act on, not a whole transcript in every event.
const MAX_REASON_LENGTH = 500;

export type Delivery = { readonly delivered: true } | { readonly delivered: false; readonly reason: string; readonly attempts: number };

/** Stopped while waiting to try again: the email is neither sent nor failed, and comes again after a restart. */
export class DeliveryInterruptedError extends Error {
  override name = 'DeliveryInterruptedError';
}

export interface DeliverOptions {
  readonly transport: MailTransport;
  readonly policy: RetryPolicy;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * Hands the email to the transport, trying again after a failure that may pass (a refused or
 * dropped connection, a 4xx reply). nodemailer marks a 5xx reply `permanent`, which ends the
 * tries at once: the server would refuse the same message again.
 */
export async function deliver(email: OutgoingEmail, { transport, policy, signal, logger }: DeliverOptions): Promise<Delivery> {
  // Only the reason is logged, never the error itself: nodemailer's carries the refused
  // addresses (in its message, `response`, `rejected`) and the log cannot be erased either.
  const result = await attemptWithRetries(() => transport.send(email), policy, signal, (error, attempt, delayMs) =>
    logger.warn({ emailId: email.emailId, reason: reasonOf(error, email.to), attempt, delayMs }, 'email not accepted; trying again'),
  );
  if (result.ok) return { delivered: true };
  if (signal.aborted && !isPermanent(result.error)) {
    throw new DeliveryInterruptedError(`stopped before email ${email.emailId} could be delivered: ${reasonOf(result.error, email.to)}`);
  }
  return { delivered: false, reason: reasonOf(result.error, email.to), attempts: result.attempts };
}

/**
 * The server's reply (nodemailer puts the code and text in the message, "… 550 5.1.1 <x@y>:
 * Recipient address rejected") without any address in it: a reply often repeats the recipient,
 * and the reason is kept in Failed and RegistrationEmailFailed for good, where erasing the user
 * could not reach it (docs/personal-data.md).
 */
function reasonOf(error: unknown, recipient: string): string {
  const message = withoutAddresses(error instanceof Error ? error.message : String(error), [recipient]);
  return message.length > MAX_REASON_LENGTH ? `${message.slice(0, MAX_REASON_LENGTH - 1)}…` : message;
}
