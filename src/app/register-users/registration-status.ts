import { identityCommandStreamName, identityEventSchemas, identityStreamName } from '../../components/identity/contract.ts';
import type { MessageStore, Projection } from '../../message-store/index.ts';
import type { PersonalField } from '../../personal-data/seal.ts';

type RegistrationDecision =
  | { readonly state: 'pending' }
  /** `email` as the stream holds it: sealed since crypto-shredding landed. */
  | { readonly state: 'registered'; readonly email: PersonalField }
  | { readonly state: 'rejected'; readonly reason: string }
  /** UserErased: final, whatever was decided before (or if nothing was). */
  | { readonly state: 'erased' };

const registeredEmail = identityEventSchemas.Registered.shape.email;
const rejectionReason = identityEventSchemas.RegistrationRejected.shape.reason;

const registration: Projection<RegistrationDecision> = {
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

/**
 * What the identity component decided about a registration, from its own stream rather than a
 * projection: the stream is the truth. Undefined when no registration was asked for under this id.
 */
export async function registrationDecision(messageStore: MessageStore, userId: string): Promise<RegistrationDecision | undefined> {
  const { state, version } = await messageStore.project(identityStreamName(userId), registration);
  if (version >= 0) return state;
  const asked = await messageStore.streamVersion(identityCommandStreamName(userId));
  return asked >= 0 ? state : undefined;
}
