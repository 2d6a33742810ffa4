import { backoffDelay } from '../../subscription/retry.ts';
import type { EmailState } from './email.ts';
import { counted } from '../../plural.ts';

/** How long to wait before each new try of an email that failed for a reason that may pass. */
export interface RetryDelays {
  /** After the first failed try; each later wait doubles (with jitter) up to maxDelayMs. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetrySchedule extends RetryDelays {
  /** Counted from the first failed try: a try that would fall past it is not made, and the email is Failed. */
  readonly windowMs: number;
}

/**
 * The first try again comes within seconds (a mail folder or server back after a blip), the
 * later ones at most half an hour apart: greylisting asks for minutes, an outage may last hours.
 */
export const RETRY_DELAYS: RetryDelays = { firstDelayMs: 10_000, maxDelayMs: 30 * 60_000 };

export type AfterFailedTry =
  | { readonly next: 'retry'; readonly attempts: number; readonly failingSince: string; readonly nextAttemptAt: string }
  | { readonly next: 'give up'; readonly attempts: number; readonly failingSince: string };

/** What follows a try that failed for a reason that may pass: when to try again, or that the window is spent. */
export function afterFailedTry(
  state: EmailState,
  now: number,
  schedule: RetrySchedule,
  random: () => number = Math.random,
): AfterFailedTry {
  const attempts = state.attempts + 1;
  const failingSince = state.failingSince ?? new Date(now).toISOString();
  const delay = backoffDelay(
    { attempts: Infinity, initialDelayMs: schedule.firstDelayMs, maxDelayMs: schedule.maxDelayMs },
    attempts,
    random,
  );
  const nextAttempt = now + delay;
  if (nextAttempt > Date.parse(failingSince) + schedule.windowMs) return { next: 'give up', attempts, failingSince };
  return { next: 'retry', attempts, failingSince, nextAttemptAt: new Date(nextAttempt).toISOString() };
}

/** "3 tries in 2 hours": how long an email was tried, in the words of a Failed reason. */
export function triedFor(attempts: number, failingSince: string, now: number): string {
  const minutes = Math.max(0, Math.round((now - Date.parse(failingSince)) / 60_000));
  const span =
    minutes < 1
      ? 'under a minute'
      : minutes < 120
        ? counted(minutes, 'minute')
        : counted(Math.round(minutes / 60), 'hour');
  return `${counted(attempts, 'try', 'tries')} in ${span}`;
}
