import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { derivedMessageId, DuplicateMessageIdError, type MessageStore } from '../../../message-store/index.ts';
import { HttpError } from '../../../web/errors.ts';
import { adminActionSchemas, adminActionsStreamName, type AdminAction } from '../../../contracts/admin-actions.ts';
import type { MessageSummary } from '../../../message-queries/stored.ts';

/** Who acts, and the request's trace: every admin action is written with both. */
interface AdminActor {
  readonly adminId: string;
  readonly traceId: string;
}

/** The admin behind a request: admin routes run only after requireAdmin, so there is one. */
export function actorOf(req: Request): AdminActor {
  return { adminId: req.context.userId!, traceId: req.context.traceId };
}

/** Another request recorded this very action first (a double click, two admins at once): a 409, and nothing more is written. */
export class ActionAlreadyRecordedError extends HttpError {
  override name = 'ActionAlreadyRecordedError';
  constructor(message = 'Someone else has just done that; nothing more was recorded.') {
    super(409, message);
  }
}

const ADMIN_ACTION_NAMESPACE = '3b0f6a52-8c1e-4d6f-9a0b-5e7d2c41f8a3';

/** The same action about the same message always gets the same id, so Message DB's unique id takes it once. */
export function adminActionId(name: string): string {
  return derivedMessageId(ADMIN_ACTION_NAMESPACE, name);
}

type ActionFields<T extends AdminAction['type']> = Omit<Extract<AdminAction, { type: T }>['data'], 'adminId'>;

/**
 * Writes what an admin did to adminActions-<adminId>, with metadata { traceId, userId }. When
 * the action is about a message (a parked one replayed or discarded), the causation fields
 * point at it, so the message's page lists the action among its consequences. Shared by the
 * parked, users and exports sections.
 *
 * With `id` (from adminActionId) the action is written at most once: when another request
 * wrote that id first, this one throws ActionAlreadyRecordedError. In another admin's stream
 * the store refuses the id outright; in this admin's own stream it hands back the first
 * write's position (a retry is not a duplicate), so the message there is read back and is this
 * request's only if it carries this request's trace id.
 */
export async function recordAdminAction<T extends AdminAction['type']>(
  messageStore: MessageStore,
  actor: AdminActor,
  type: T,
  fields: ActionFields<T>,
  about?: MessageSummary,
  id?: string,
): Promise<void> {
  const data: unknown = adminActionSchemas[type].parse({ ...fields, adminId: actor.adminId });
  const stream = adminActionsStreamName(actor.adminId);
  let position: number;
  try {
    position = await messageStore.write(stream, {
      id: id ?? randomUUID(),
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
  } catch (error) {
    if (id !== undefined && error instanceof DuplicateMessageIdError) throw new ActionAlreadyRecordedError();
    throw error;
  }
  if (id === undefined) return;
  const [stored] = await messageStore.readStream(stream, { fromPosition: position, batchSize: 1 });
  if (stored?.id !== id || stored.metadata.traceId !== actor.traceId) throw new ActionAlreadyRecordedError();
}
