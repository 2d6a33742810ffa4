import { identityEventSchemas, identityStreamName, identityCommandStreamName } from '../../components/identity/contract.ts';
import type { MessageStore, Projection } from '../../message-store/index.ts';

type RegistrationStatus =
  | { readonly state: 'pending' }
  | { readonly state: 'registered' }
  | { readonly state: 'rejected'; readonly reason: string };

const rejectionReason = identityEventSchemas.RegistrationRejected.shape.reason;

const registration: Projection<RegistrationStatus> = {
  init: () => ({ state: 'pending' }),
  apply: {
    Registered: () => ({ state: 'registered' }),
    RegistrationRejected: (state, message) => {
      if (state.state === 'registered') return state;
      const reason = rejectionReason.safeParse((message.data as { reason?: unknown }).reason);
      return { state: 'rejected', reason: reason.success ? reason.data : 'the registration was refused' };
    },
  },
};

/**
 * Where a registration stands, from the identity component's own stream rather than a
 * projection: this page is watched in the seconds after the command, and the stream is the truth.
 * Undefined when no registration was ever asked for under this id.
 */
export async function registrationStatus(messageStore: MessageStore, userId: string): Promise<RegistrationStatus | undefined> {
  const { state, version } = await messageStore.project(identityStreamName(userId), registration);
  if (version >= 0) return state;
  const asked = await messageStore.streamVersion(identityCommandStreamName(userId));
  return asked >= 0 ? state : undefined;
}
