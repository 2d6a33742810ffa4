import type { Recorded } from '../../message-store/index.ts';
import type { PersonalField } from '../../personal-data/seal.ts';
import { VERIFICATION_LINK_LIFETIME_MS, VERIFICATION_REFUSALS, type IdentityEvent } from '../../contracts/identity.ts';
import { registrationEmailId } from './ids.ts';

/** A verification link asked for: when (its lifetime counts from here) and, for a change, the address it verifies. */
export interface VerificationRequest {
  readonly requestId: string;
  readonly at: Date;
}

export interface EmailChangeRequest extends VerificationRequest {
  /** The new address, sealed as EmailChangeRequested holds it. */
  readonly email: PersonalField;
}

/**
 * What a user's stream says of their address's verification. The welcome email is the
 * registration's verification request (its email id is the link's request id): one event asks for
 * both, so the email and its link cannot disagree. An email change is a request of its own.
 */
export interface Verification {
  /** The account's current address is verified (EmailVerified, or EmailChanged to a verified one). */
  readonly verified: boolean;
  /** The latest welcome email's link: it verifies the current address. Older ones are void. */
  readonly welcome: VerificationRequest | undefined;
  /** The latest email change asked for, until it is used. Older ones are void. */
  readonly change: EmailChangeRequest | undefined;
  /** Every request id this user was sent a link for, to tell "a newer link was sent" from a wrong one. */
  readonly requests: ReadonlySet<string>;
  readonly used: ReadonlySet<string>;
}

export const NO_VERIFICATION: Verification = {
  verified: false,
  welcome: undefined,
  change: undefined,
  requests: new Set(),
  used: new Set(),
};

const withRequest = (state: Verification, requestId: string): ReadonlySet<string> =>
  new Set(state.requests).add(requestId);
const withUsed = (state: Verification, requestId: string): ReadonlySet<string> => new Set(state.used).add(requestId);

/** The verification after one identity event (others change nothing). */
export function applyVerification(state: Verification, event: Recorded<IdentityEvent>): Verification {
  switch (event.type) {
    case 'Registered': {
      const requestId = registrationEmailId(event.data.userId);
      return { ...state, welcome: { requestId, at: event.time }, requests: withRequest(state, requestId) };
    }
    case 'RegistrationEmailRequested':
      return {
        ...state,
        welcome: { requestId: event.data.emailId, at: event.time },
        requests: withRequest(state, event.data.emailId),
      };
    case 'EmailChangeRequested': {
      const { requestId, email } = event.data;
      return { ...state, change: { requestId, at: event.time, email }, requests: withRequest(state, requestId) };
    }
    case 'EmailVerified':
      return { ...state, verified: true, used: withUsed(state, event.data.requestId) };
    // The welcome link named the old address: it verifies nothing now.
    case 'EmailChanged':
      return {
        ...state,
        verified: true,
        welcome: undefined,
        change: undefined,
        used: withUsed(state, event.data.requestId),
      };
    // Listed rather than left to a default, so a new event type is a decision made here.
    case 'AdminRoleGranted':
    case 'AdminRoleRevoked':
    case 'DisplayNameChanged':
    case 'EmailChangeRefused':
    case 'EmailVerificationRefused':
    case 'HandleChanged':
    case 'PasswordChanged':
    case 'PasswordResetRefused':
    case 'PasswordResetRequested':
    case 'ProfileChangeRejected':
    case 'RegistrationEmailDeferred':
    case 'RegistrationEmailFailed':
    case 'RegistrationEmailResendRefused':
    case 'RegistrationEmailSent':
    case 'RegistrationRejected':
    case 'UserErased':
      return state;
  }
}

/** Whether a request made at `request.at` still works at `at`. */
export const unexpired = (request: VerificationRequest, at: Date): boolean =>
  at.getTime() - request.at.getTime() < VERIFICATION_LINK_LIFETIME_MS;

/** Which request `requestId` names, if it is one that may still be used, or why not (a VERIFICATION_REFUSALS reason). */
export function requestNamed(
  state: Verification,
  requestId: string,
  at: Date,
):
  | { kind: 'welcome'; request: VerificationRequest }
  | { kind: 'change'; request: EmailChangeRequest }
  | { refused: string } {
  if (state.used.has(requestId)) return { refused: VERIFICATION_REFUSALS.used };
  const named =
    state.change?.requestId === requestId
      ? ({ kind: 'change', request: state.change } as const)
      : state.welcome?.requestId === requestId
        ? ({ kind: 'welcome', request: state.welcome } as const)
        : undefined;
  if (!named)
    return {
      refused: state.requests.has(requestId) ? VERIFICATION_REFUSALS.superseded : VERIFICATION_REFUSALS.invalid,
    };
  return unexpired(named.request, at) ? named : { refused: VERIFICATION_REFUSALS.expired };
}
