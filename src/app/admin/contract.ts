import { z } from 'zod';
import { streamName, type MessagesOf } from '../../message-store/index.ts';

/**
 * What an admin did in the portal, as events: who (metadata.userId and `adminId`), what, when
 * (the message's time). One stream per admin, so "what did this admin do" is one read.
 */
export const ADMIN_ACTIONS_CATEGORY = 'adminActions';

const base = { adminId: z.uuid() };

export const adminActionSchemas = {
  ParkedMessageReplayed: z.object({ ...base, subscriberId: z.string(), messageId: z.uuid(), outcome: z.string() }),
  ParkedMessageDiscarded: z.object({ ...base, subscriberId: z.string(), messageId: z.uuid(), reason: z.string().max(500) }),
  ProjectionRebuildRequested: z.object({ ...base, projection: z.string() }),
  ProjectionRebuilt: z.object({ ...base, projection: z.string(), messages: z.number().int().nonnegative(), ms: z.number().nonnegative() }),
  ExportMade: z.object({ ...base, kind: z.string(), subject: z.string(), format: z.string(), messages: z.number().int().nonnegative() }),
  AuditChainVerified: z.object({ ...base, ok: z.boolean(), messages: z.number().int().nonnegative(), firstProblem: z.string().nullable() }),
  UserErasureRequested: z.object({ ...base, userId: z.uuid() }),
} as const;

export type AdminAction = MessagesOf<typeof adminActionSchemas>;

export const adminActionsStreamName = (adminId: string): string => streamName(ADMIN_ACTIONS_CATEGORY, adminId);
