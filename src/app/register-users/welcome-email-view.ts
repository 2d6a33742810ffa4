import type { Request } from 'express';
import { userResendRefusal, type ResendRefusal } from '../../components/identity/welcome-email.ts';
import type { Registration } from './registration-status.ts';
import { counted } from '../../plural.ts';

declare global {
  namespace CookieSessionInterfaces {
    interface CookieSessionObject {
      /** The account this browser registered: its registration page offers to send the welcome email again. */
      registeredUserId?: string;
    }
  }
}

/** Remembered at registration, so the person who registered can ask for the welcome email again before they ever log in. */
export function rememberRegistration(req: Request, userId: string): void {
  req.session!.registeredUserId = userId;
}

/** The user themself: logged in as them, or the browser that registered them. Nobody else may ask for their email again. */
export function isOwnRegistration(req: Request, userId: string): boolean {
  return req.context.userId === userId || req.session?.registeredUserId === userId;
}

// How often a page waiting for an answer asks again: soon while an answer comes in seconds,
// rarely while send-email waits minutes between tries.
const REFRESH_WHILE_ASKED_SECONDS = 3;
const REFRESH_WHILE_RETRYING_SECONDS = 60;

interface WelcomeEmailView {
  /** asked: on its way (asked for, or asked for again), no answer yet. */
  readonly state: 'asked' | 'retrying' | 'sent' | 'failed';
  readonly refreshSeconds: number | undefined;
  /** The person who registered, who may have it sent again right now. */
  readonly canAskAgain: boolean;
  /** Why the person who registered may not ask right now, in their words; undefined for anyone else. */
  readonly notNow: string | undefined;
  readonly owner: boolean;
}

/** "about 3 hours", "about 20 minutes": how long until `at`, rounded up. */
export function waitLabel(at: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 60_000));
  if (minutes < 90) return `about ${counted(minutes, 'minute')}`;
  return `about ${counted(Math.ceil(minutes / 60), 'hour')}`;
}

/** What the person waiting is told, in their words: never the server's reply or our internals. */
function notNowOf(refusal: ResendRefusal | undefined, now: Date): string | undefined {
  if (!refusal) return undefined;
  if (refusal.retryAt)
    return `You have asked for it again several times today. You can ask again in ${waitLabel(refusal.retryAt, now)}.`;
  return undefined;
}

/**
 * The welcome email as the registration page tells it. `pending`: a request to send it again that
 * identity has not answered yet counts as on its way. Undefined before there is one to tell of.
 */
export function welcomeEmailView(
  registration: Registration,
  { owner, pending, now }: { owner: boolean; pending: boolean; now: Date },
): WelcomeEmailView | undefined {
  const { latest } = registration.welcome;
  if (!latest) return undefined;
  const state = pending || latest.state === 'requested' ? 'asked' : latest.state;
  const refreshSeconds =
    state === 'asked' ? REFRESH_WHILE_ASKED_SECONDS : state === 'retrying' ? REFRESH_WHILE_RETRYING_SECONDS : undefined;
  const refusal = state === 'sent' || state === 'failed' ? userResendRefusal(registration.welcome, now) : undefined;
  return {
    state,
    refreshSeconds,
    owner,
    canAskAgain: owner && (state === 'sent' || state === 'failed') && !refusal,
    notNow: owner ? notNowOf(refusal, now) : undefined,
  };
}
