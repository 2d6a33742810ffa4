import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

/** An error that retrying cannot cure, such as data that breaks its contract (it says `permanent`). */
export function isPermanent(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { permanent?: unknown }).permanent === true;
}

/**
 * Exponential backoff with jitter: between half and all of the doubled delay, so subscribers
 * that failed together (a database restart) do not all come back in the same millisecond.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

export type Attempt = { ok: true } | { ok: false; error: unknown; attempts: number };

/**
 * Runs `work` until it succeeds, fails permanently, runs out of attempts, or `signal` aborts
 * (a stop: the message stays unprocessed and is read again after restart).
 */
export async function attemptWithRetries(
  work: () => Promise<void>,
  policy: RetryPolicy,
  signal: AbortSignal,
  onRetry: (error: unknown, attempt: number, delayMs: number) => void,
): Promise<Attempt> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await work();
      return { ok: true };
    } catch (error) {
      if (isPermanent(error) || attempt >= policy.attempts || signal.aborted) {
        return { ok: false, error, attempts: attempt };
      }
      const delay = backoffDelay(policy, attempt);
      onRetry(error, attempt, delay);
      await pause(delay, signal);
      if (signal.aborted) return { ok: false, error, attempts: attempt };
    }
  }
}

// SQLSTATE classes for a database that is unreachable or shutting down, not a bad message:
// 08 connection exception, 53 insufficient resources, 57P admin shutdown / crash / cannot connect.
const INFRASTRUCTURE_SQLSTATE = /^(08|53|57P)/;
// EAI_AGAIN: a name that does not resolve for now (a database container restarting, DNS down).
const INFRASTRUCTURE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
]);

/**
 * Errors that say the infrastructure is down rather than that a message cannot be handled.
 * Subscribers wait these out instead of parking or stalling on an innocent message.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && (INFRASTRUCTURE_SQLSTATE.test(code) || INFRASTRUCTURE_ERRNO.has(code))) return true;
  if (name === 'KnexTimeoutError') return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

// The machine is short of something (disk space, a writable disk, quota, memory): nothing is
// wrong with the message, and it passes when an operator frees space or the load falls.
const RESOURCE_ERRNO = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'ENOMEM']);

/**
 * Errors that say the machine ran out of room (disk full, read-only, over quota, out of memory).
 * Not the message's fault, so never a final answer for it; unlike an outage they may last
 * minutes, until someone frees space, so a handler that can wait gives them a longer window.
 */
export function isResourceExhausted(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' && RESOURCE_ERRNO.has(code);
}
