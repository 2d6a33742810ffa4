import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type Projection, type RawMessage, type Recorded } from '../../message-store/index.ts';
import { identityEventSchemas, type IdentityEvent } from '../../contracts/identity.ts';
import { registrationEmailId } from './ids.ts';

/**
 * requested: asked of send-email, no answer yet. retrying: not accepted yet for a reason that may
 * pass, tried again later. sent, failed: send-email's final answer.
 */
export type WelcomeEmailState = 'requested' | 'retrying' | 'sent' | 'failed';

/** The latest welcome email a user was sent, as their identity stream tells it. */
export interface WelcomeEmail {
  readonly emailId: string;
  readonly state: WelcomeEmailState;
  /** When it came to this state. */
  readonly at: Date;
  /** Why it is retrying or failed: the server's words, without addresses or paths. */
  readonly reason: string | undefined;
  /** While retrying: when send-email tries again. */
  readonly nextAttemptAt: Date | undefined;
}

export interface WelcomeEmails {
  /** Undefined until the user is registered. */
  readonly latest: WelcomeEmail | undefined;
  /** Every welcome email asked for: send-email's answers about any of them are this user's. */
  readonly ids: ReadonlySet<string>;
  /** When the user themself (not an admin) asked for one again, oldest first. */
  readonly askedAgain: readonly Date[];
}

export const NO_WELCOME_EMAILS: WelcomeEmails = { latest: undefined, ids: new Set(), askedAgain: [] };

/**
 * How often a user may ask for the welcome email again: a few times a day, so a lost or
 * filtered email can be had again but nobody's inbox can be filled from the button. Admins are
 * neither limited nor counted (their requests are recorded as admin actions).
 */
export const RESEND_LIMIT = { times: 3, windowMs: 24 * 60 * 60_000 } as const;

/** Why identity refuses to send the welcome email again, as the person asking reads it. */
export const RESEND_REFUSALS = {
  notRegistered: 'the account is not registered',
  erased: 'the account was erased',
  notAdmin: 'only an administrator may ask on behalf of a user',
  onItsWay: 'a welcome email is still on its way',
  tooOften: `it was asked for again ${RESEND_LIMIT.times} times in the last 24 hours`,
} as const;

function asked(emails: WelcomeEmails, emailId: string, at: Date): WelcomeEmails {
  return {
    ...emails,
    latest: { emailId, state: 'requested', at, reason: undefined, nextAttemptAt: undefined },
    ids: new Set(emails.ids).add(emailId),
  };
}

/** An answer moves the latest email only: one about an earlier email changes nothing the user waits for. */
function answered(emails: WelcomeEmails, emailId: string, change: Omit<WelcomeEmail, 'emailId'>): WelcomeEmails {
  return emails.latest?.emailId === emailId ? { ...emails, latest: { emailId, ...change } } : emails;
}

/** The welcome emails after one identity event (events of other kinds change nothing). */
export function applyWelcomeEmail(emails: WelcomeEmails, event: Recorded<IdentityEvent>): WelcomeEmails {
  switch (event.type) {
    case 'Registered':
      return asked(emails, registrationEmailId(event.data.userId), event.time);
    case 'RegistrationEmailRequested': {
      const next = asked(emails, event.data.emailId, event.time);
      return event.data.byAdmin === undefined ? { ...next, askedAgain: [...emails.askedAgain, event.time] } : next;
    }
    case 'RegistrationEmailDeferred':
      return answered(emails, event.data.emailId, {
        state: 'retrying',
        at: event.time,
        reason: event.data.reason,
        nextAttemptAt: new Date(event.data.nextAttemptAt),
      });
    case 'RegistrationEmailSent':
      return answered(emails, event.data.emailId, {
        state: 'sent',
        at: event.time,
        reason: undefined,
        nextAttemptAt: undefined,
      });
    case 'RegistrationEmailFailed':
      return answered(emails, event.data.emailId, {
        state: 'failed',
        at: event.time,
        reason: event.data.reason,
        nextAttemptAt: undefined,
      });
    // Listed rather than left to a default, so a new event type is a decision made here.
    case 'AdminRoleGranted':
    case 'AdminRoleRevoked':
    case 'DisplayNameChanged':
    case 'EmailChanged':
    case 'EmailChangeRefused':
    case 'EmailChangeRequested':
    case 'EmailVerificationRefused':
    case 'EmailVerified':
    case 'HandleChanged':
    case 'PasswordChanged':
    case 'PasswordResetRefused':
    case 'PasswordResetRequested':
    case 'ProfileChangeRejected':
    case 'RegistrationEmailResendRefused':
    case 'RegistrationRejected':
    case 'UserErased':
      return emails;
  }
}

/** A user's refusal, with when asking would next be allowed if it is the limit that refuses. */
export interface ResendRefusal {
  readonly reason: string;
  readonly retryAt: Date | undefined;
}

/**
 * Whether a registered, not erased user may have the welcome email again at `at`: not while one
 * is on its way (it may still arrive, and a second would follow the first into the same fault),
 * and at most RESEND_LIMIT times in its window. Undefined when they may. Identity decides with
 * this at the request's time; pages ask it first, to offer the button and say why not.
 */
export function userResendRefusal(emails: WelcomeEmails, at: Date): ResendRefusal | undefined {
  const { latest } = emails;
  if (!latest) return { reason: RESEND_REFUSALS.notRegistered, retryAt: undefined };
  if (latest.state === 'requested' || latest.state === 'retrying')
    return { reason: RESEND_REFUSALS.onItsWay, retryAt: undefined };
  const recent = emails.askedAgain.filter((time) => at.getTime() - time.getTime() < RESEND_LIMIT.windowMs);
  const oldest = recent[0];
  if (oldest && recent.length >= RESEND_LIMIT.times)
    return { reason: RESEND_REFUSALS.tooOften, retryAt: new Date(oldest.getTime() + RESEND_LIMIT.windowMs) };
  return undefined;
}

const WELCOME_EMAIL_TYPES = [
  'Registered',
  'RegistrationEmailRequested',
  'RegistrationEmailDeferred',
  'RegistrationEmailSent',
  'RegistrationEmailFailed',
] as const;

/** For pages: an event that breaks the contract is passed over, not thrown. */
function tolerantly(emails: WelcomeEmails, message: RawMessage): WelcomeEmails {
  try {
    const event = parseMessage(identityEventSchemas, message);
    return event ? applyWelcomeEmail(emails, event) : emails;
  } catch (error) {
    if (error instanceof MessageDataError) return emails;
    throw error;
  }
}

/** The welcome emails of `identity-<userId>`, for pages that read the stream itself. */
export const welcomeEmailsProjection: Projection<WelcomeEmails> = {
  init: () => NO_WELCOME_EMAILS,
  apply: Object.fromEntries(WELCOME_EMAIL_TYPES.map((type) => [type, tolerantly])),
};
