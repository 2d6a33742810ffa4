import { identityCommandStreamName, identityEventSchemas, identityStreamName } from '../../contracts/identity.ts';
import { welcomeEmailsProjection, type WelcomeEmails } from '../../components/identity/welcome-email.ts';
import type { MessageStore, Projection, RawMessage } from '../../message-store/index.ts';
import type { PersonalField } from '../../personal-data/seal.ts';

type RegistrationDecision =
  | { readonly state: 'pending' }
  /** `email` as the stream holds it: sealed since crypto-shredding landed. */
  | { readonly state: 'registered'; readonly email: PersonalField }
  | { readonly state: 'rejected'; readonly reason: string }
  /** UserErased: final, whatever was decided before (or if nothing was). */
  | { readonly state: 'erased' };

export interface Registration {
  readonly decision: RegistrationDecision;
  readonly welcome: WelcomeEmails;
  /** Global positions of the ResendRegistrationEmail commands identity has answered (granted or refused). */
  readonly resendsAnswered: ReadonlySet<number>;
}

const registeredEmail = identityEventSchemas.Registered.shape.email;
const rejectionReason = identityEventSchemas.RegistrationRejected.shape.reason;

const decisions: Projection<RegistrationDecision> = {
  init: () => ({ state: 'pending' }),
  apply: {
    Registered: (state, message) => {
      if (state.state === 'erased') return state;
      const email = registeredEmail.safeParse((message.data as { email?: unknown }).email);
      return { state: 'registered', email: email.success ? email.data : '' };
    },
    RegistrationRejected: (state, message) => {
      if (state.state === 'registered' || state.state === 'erased') return state;
      const reason = rejectionReason.safeParse((message.data as { reason?: unknown }).reason);
      return { state: 'rejected', reason: reason.success ? reason.data : 'the registration was refused' };
    },
    UserErased: () => ({ state: 'erased' }),
  },
};

function answeredResend(answered: ReadonlySet<number>, message: RawMessage): ReadonlySet<number> {
  const cause = message.metadata.causationMessageGlobalPosition;
  return cause === undefined ? answered : new Set(answered).add(cause);
}

const types = new Set([
  ...Object.keys(decisions.apply),
  ...Object.keys(welcomeEmailsProjection.apply),
  'RegistrationEmailResendRefused',
]);

// The decision and the welcome emails folded in one read of the stream.
const registration: Projection<Registration> = {
  init: () => ({ decision: decisions.init(), welcome: welcomeEmailsProjection.init(), resendsAnswered: new Set() }),
  apply: Object.fromEntries(
    [...types].map((type) => [
      type,
      (state: Registration, message: RawMessage): Registration => ({
        decision: decisions.apply[type]?.(state.decision, message) ?? state.decision,
        welcome: welcomeEmailsProjection.apply[type]?.(state.welcome, message) ?? state.welcome,
        resendsAnswered:
          type === 'RegistrationEmailRequested' || type === 'RegistrationEmailResendRefused'
            ? answeredResend(state.resendsAnswered, message)
            : state.resendsAnswered,
      }),
    ]),
  ),
};

/**
 * What the identity component decided about a registration, and how its welcome email went,
 * from its own stream rather than a projection: the stream is the truth. Undefined when no
 * registration was asked for under this id.
 */
export async function registrationOf(messageStore: MessageStore, userId: string): Promise<Registration | undefined> {
  const { state, version } = await messageStore.project(identityStreamName(userId), registration);
  if (version >= 0) return state;
  const asked = await messageStore.streamVersion(identityCommandStreamName(userId));
  return asked >= 0 ? state : undefined;
}

/** The decision alone. */
export async function registrationDecision(
  messageStore: MessageStore,
  userId: string,
): Promise<RegistrationDecision | undefined> {
  return (await registrationOf(messageStore, userId))?.decision;
}

/** Has the user asked for the welcome email again, and identity not answered yet? */
export async function resendPending(
  messageStore: MessageStore,
  { resendsAnswered }: Registration,
  userId: string,
): Promise<boolean> {
  const last = await messageStore.readLastMessage(identityCommandStreamName(userId), 'ResendRegistrationEmail');
  return last !== undefined && !resendsAnswered.has(last.globalPosition);
}
