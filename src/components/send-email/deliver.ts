import type { Logger } from '../../logger.ts';
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
  const result = await attemptWithRetries(() => transport.send(email), policy, signal, (error, attempt, delayMs) =>
    logger.warn({ emailId: email.emailId, err: error, attempt, delayMs }, 'email not accepted; trying again'),
  );
  if (result.ok) return { delivered: true };
  if (signal.aborted && !isPermanent(result.error)) {
    throw new DeliveryInterruptedError(`stopped before email ${email.emailId} could be delivered`, { cause: result.error });
  }
  return { delivered: false, reason: reasonOf(result.error), attempts: result.attempts };
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_REASON_LENGTH ? `${message.slice(0, MAX_REASON_LENGTH - 1)}…` : message;
}
