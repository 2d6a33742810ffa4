import { identityEventSchemas, identityStreamName } from '../../contracts/identity.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { type MessageStore, type Projection, type RawMessage } from '../../message-store/index.ts';

const roleSchemas = {
  AdminRoleGranted: identityEventSchemas.AdminRoleGranted,
  AdminRoleRevoked: identityEventSchemas.AdminRoleRevoked,
  UserErased: identityEventSchemas.UserErased,
} as const;

interface Role {
  readonly admin: boolean;
  /** Final: identity grants an erased user nothing again. */
  readonly erased: boolean;
}

/** The role events identity wrote before `cutoff` (a global position); later ones are not read. */
function roleUpTo(cutoff: number): Projection<Role> {
  const apply = (state: Role, message: RawMessage): Role => {
    if (message.globalPosition >= cutoff) return state;
    const event = parseMessage(roleSchemas, message);
    if (event?.type === 'AdminRoleGranted') return { ...state, admin: true };
    if (event?.type === 'AdminRoleRevoked') return { ...state, admin: false };
    return event?.type === 'UserErased' ? { admin: false, erased: true } : state;
  };
  return {
    init: () => ({ admin: false, erased: false }),
    apply: { AdminRoleGranted: apply, AdminRoleRevoked: apply, UserErased: apply },
  };
}

/**
 * Did `userId` hold the admin role when the message at `globalPosition` was written? Read from
 * the user's own identity stream, where the identity component records every grant, revocation
 * and erasure (through its public contract): the admin portal's `user_credentials` row is a
 * projection of those same events, and a command in our stream may come from any writer, so
 * the component asks the source itself rather than trust the sender or a copy. Only events
 * before the command count, so a redelivered or replayed command is decided the same way, and a
 * role granted after a command was sent does not make it an admin's.
 */
export async function wasAdminWhenSent(
  messageStore: MessageStore,
  userId: string,
  globalPosition: number,
): Promise<boolean> {
  const { state } = await messageStore.project(identityStreamName(userId), roleUpTo(globalPosition));
  return state.admin && !state.erased;
}

/**
 * Has identity erased `userId`, by now? Final (identity grants an erased user nothing again), so
 * every event of their stream counts: an upload that finishes after its creator's erasure must
 * not make a video the erasure never saw, and so never took down.
 */
export async function isErased(messageStore: MessageStore, userId: string): Promise<boolean> {
  const { state } = await messageStore.project(identityStreamName(userId), roleUpTo(Number.POSITIVE_INFINITY));
  return state.erased;
}
