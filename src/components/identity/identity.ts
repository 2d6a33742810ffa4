import { parseMessage } from '../../contracts/parse.ts';
import { type Projection, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { PersonalField, Sealed } from '../../personal-data/seal.ts';
import { identityEventSchemas, type IdentityEvent } from '../../contracts/identity.ts';
import { applyWelcomeEmail, NO_WELCOME_EMAILS, type WelcomeEmails } from './welcome-email.ts';
import { applyPasswordReset, NO_PASSWORD_RESETS, type PasswordResets } from './password-resets.ts';
import { applyVerification, NO_VERIFICATION, type Verification } from './verification.ts';

/** A user as the `identity-<userId>` stream tells it. */
export interface Identity {
  readonly registered: boolean;
  /** The normalised address the user registered with: sealed (open it with personal-data) or plain if older. */
  readonly email: PersonalField | undefined;
  /** RegistrationRejected (and never Registered): final for this user id, whose reservations count as free. */
  readonly rejected: boolean;
  /** Sealed; undefined for a user registered before names (profile-rules.ts gives them a generated handle). */
  readonly displayName: Sealed | undefined;
  readonly handle: Sealed | undefined;
  /** The handle each ChangeProfile gave up, by that command's global position: to release it if a crash came first. */
  readonly handlesGivenUp: ReadonlyMap<number, Sealed>;
  /** The global position of the command whose answer last changed the name or handle. */
  readonly lastProfileCause: number | undefined;
  /** Global positions of the ChangeProfile commands refused (ProfileChangeRejected): nothing more is done for them. */
  readonly refused: ReadonlySet<number>;
  /** UserErased: the key is gone, the email released. */
  readonly erased: boolean;
  readonly admin: boolean;
  /** The welcome emails asked for, the latest one's state, and when the user asked again. */
  readonly welcome: WelcomeEmails;
  /** Password-reset requests: the newest, and which links were used. */
  readonly resets: PasswordResets;
  /** Whether the address is verified, and the links sent to verify it or a new one. */
  readonly verification: Verification;
  /**
   * Global positions of the messages this stream's events answer (their causation): a message
   * found here was handled already, whatever the handler decided then.
   */
  readonly handled: ReadonlySet<number>;
}

const initial: Identity = {
  registered: false,
  email: undefined,
  rejected: false,
  displayName: undefined,
  handle: undefined,
  handlesGivenUp: new Map(),
  refused: new Set(),
  lastProfileCause: undefined,
  erased: false,
  admin: false,
  welcome: NO_WELCOME_EMAILS,
  resets: NO_PASSWORD_RESETS,
  verification: NO_VERIFICATION,
  handled: new Set(),
};

function answered(state: Identity, message: RawMessage): Identity {
  const cause = message.metadata.causationMessageGlobalPosition;
  return cause === undefined ? state : { ...state, handled: new Set(state.handled).add(cause) };
}

/**
 * Every event is read against its contract before it counts: a handler must not decide on a
 * stream it misreads. A broken event throws MessageDataError, so the message being handled is
 * parked and shown to operators rather than acted on.
 */
function checked(
  apply: (state: Identity, event: Recorded<IdentityEvent>) => Identity,
): (state: Identity, message: RawMessage) => Identity {
  return (state, message) => {
    const event = parseMessage(identityEventSchemas, message);
    if (!event) return state;
    const next = apply(answered(state, message), event);
    return {
      ...next,
      welcome: applyWelcomeEmail(next.welcome, event),
      resets: applyPasswordReset(next.resets, event),
      verification: applyVerification(next.verification, event),
    };
  };
}

export const identityProjection: Projection<Identity> = {
  init: () => initial,
  apply: {
    Registered: checked((state, event) =>
      event.type === 'Registered'
        ? {
            ...state,
            registered: true,
            rejected: false,
            email: event.data.email,
            displayName: event.data.displayName,
            handle: event.data.handle,
          }
        : state,
    ),
    RegistrationRejected: checked((state) => (state.registered ? state : { ...state, rejected: true })),
    DisplayNameChanged: checked((state, event) =>
      event.type === 'DisplayNameChanged'
        ? {
            ...state,
            displayName: event.data.displayName,
            lastProfileCause: event.metadata.causationMessageGlobalPosition,
          }
        : state,
    ),
    HandleChanged: checked((state, event) => {
      if (event.type !== 'HandleChanged') return state;
      const cause = event.metadata.causationMessageGlobalPosition;
      const handlesGivenUp =
        cause === undefined ? state.handlesGivenUp : new Map(state.handlesGivenUp).set(cause, event.data.previous);
      return { ...state, handle: event.data.handle, handlesGivenUp, lastProfileCause: cause };
    }),
    ProfileChangeRejected: checked((state, event) => {
      const cause = event.metadata.causationMessageGlobalPosition;
      return cause === undefined ? state : { ...state, refused: new Set(state.refused).add(cause) };
    }),
    RegistrationEmailSent: checked((state) => state),
    RegistrationEmailFailed: checked((state) => state),
    RegistrationEmailDeferred: checked((state) => state),
    RegistrationEmailRequested: checked((state) => state),
    RegistrationEmailResendRefused: checked((state) => state),
    AdminRoleGranted: checked((state) => ({ ...state, admin: true })),
    AdminRoleRevoked: checked((state) => ({ ...state, admin: false })),
    PasswordResetRequested: checked((state) => state),
    PasswordResetRefused: checked((state) => state),
    PasswordChanged: checked((state) => state),
    EmailChangeRequested: checked((state) => state),
    EmailChangeRefused: checked((state) => state),
    EmailVerified: checked((state) => state),
    EmailChanged: checked((state, event) =>
      event.type === 'EmailChanged' ? { ...state, email: event.data.email } : state,
    ),
    EmailVerificationRefused: checked((state) => state),
    UserErased: checked((state) => ({ ...state, erased: true })),
  },
};
