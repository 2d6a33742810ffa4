import { identityCommandSchemas, identityCommandStreamName, identityStreamName } from '../../contracts/identity.ts';
import { parseMessage } from '../../contracts/parse.ts';
import type { MessageStore } from '../../message-store/index.ts';
import type { PersonalData } from '../../personal-data/seal.ts';

export type ChangeOutcome =
  | { readonly state: 'pending' }
  | { readonly state: 'saved' }
  /** `typed`: what the person asked for, opened from their command, for the form to keep. */
  | {
      readonly state: 'rejected';
      readonly reason: string;
      readonly typed: { readonly displayName: string; readonly handle: string } | undefined;
    };

/**
 * What identity decided about one ChangeProfile, from the user's own streams (the truth, not a
 * projection that may lag): its answers are the events caused by it. Undefined when the user
 * sent no such command.
 */
export async function changeOutcome(
  messageStore: MessageStore,
  personalData: PersonalData,
  userId: string,
  commandId: string,
): Promise<ChangeOutcome | undefined> {
  const sent = (await messageStore.readStream(identityCommandStreamName(userId))).find(
    (message) => message.id === commandId,
  );
  const command = sent && parseMessage(identityCommandSchemas, sent);
  if (command?.type !== 'ChangeProfile') return undefined;
  const answers = (await messageStore.readStream(identityStreamName(userId))).filter(
    (message) => message.metadata.causationMessageGlobalPosition === command.globalPosition,
  );
  const rejected = answers.find((message) => message.type === 'ProfileChangeRejected');
  if (rejected) {
    const displayName = await personalData.open(userId, command.data.displayName);
    const handle = await personalData.open(userId, command.data.handle);
    const typed = displayName === undefined || handle === undefined ? undefined : { displayName, handle };
    return { state: 'rejected', reason: String((rejected.data as { reason?: unknown }).reason), typed };
  }
  return answers.some((message) => message.type === 'HandleChanged' || message.type === 'DisplayNameChanged')
    ? { state: 'saved' }
    : { state: 'pending' };
}
