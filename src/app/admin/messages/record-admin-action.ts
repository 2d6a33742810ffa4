import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { MessageStore } from '../../../message-store/index.ts';
import { adminActionSchemas, adminActionsStreamName, type AdminAction } from '../contract.ts';
import type { MessageSummary } from './stored.ts';

/** Who acts, and the request's trace: every admin action is written with both. */
interface AdminActor {
  readonly adminId: string;
  readonly traceId: string;
}

/** The admin behind a request: admin routes run only after requireAdmin, so there is one. */
export function actorOf(req: Request): AdminActor {
  return { adminId: req.context.userId!, traceId: req.context.traceId };
}

type ActionFields<T extends AdminAction['type']> = Omit<Extract<AdminAction, { type: T }>['data'], 'adminId'>;

/**
 * Writes what an admin did to adminActions-<adminId>, with metadata { traceId, userId }. When
 * the action is about a message (a parked one replayed or discarded), the causation fields
 * point at it, so the message's page lists the action among its consequences. Shared by the
 * parked and exports sections.
 */
export async function recordAdminAction<T extends AdminAction['type']>(
  messageStore: MessageStore,
  actor: AdminActor,
  type: T,
  fields: ActionFields<T>,
  about?: MessageSummary,
): Promise<void> {
  const data: unknown = adminActionSchemas[type].parse({ ...fields, adminId: actor.adminId });
  await messageStore.write(adminActionsStreamName(actor.adminId), {
    id: randomUUID(),
    type,
    data,
    metadata: {
      traceId: actor.traceId,
      userId: actor.adminId,
      ...(about && {
        causationMessageStreamName: about.streamName,
        causationMessagePosition: about.position,
        causationMessageGlobalPosition: about.globalPosition,
      }),
    },
  });
}
