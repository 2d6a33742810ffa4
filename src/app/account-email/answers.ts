import { identityStreamName } from '../../contracts/identity.ts';
import { answerId } from '../../components/identity/ids.ts';
import type { MessageStore } from '../../message-store/index.ts';

/**
 * Identity's answer to a command this app wrote, found by its id: identity derives every
 * answer's id from the command's (answerId), so the page needs no projection and no search.
 * Undefined while identity has not decided.
 */
export async function answerTo<T extends string>(
  messageStore: MessageStore,
  userId: string,
  commandId: string,
  types: readonly T[],
): Promise<{ type: T; data: Record<string, unknown> } | undefined> {
  const ids = new Map(types.map((type) => [answerId(commandId, type), type]));
  for (const message of await messageStore.readStream(identityStreamName(userId))) {
    const type = ids.get(message.id);
    if (type !== undefined) return { type, data: message.data as Record<string, unknown> };
  }
  return undefined;
}
