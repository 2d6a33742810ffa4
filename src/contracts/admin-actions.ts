import { z } from 'zod';
import { streamName, type MessagesOf } from '../message-store/index.ts';

/**
 * What an admin did in the portal, as events: who (metadata.userId and `adminId`), what, when
 * (the message's time). One stream per admin, so "what did this admin do" is one read.
 */
export const ADMIN_ACTIONS_CATEGORY = 'adminActions';

const base = { adminId: z.uuid() };
const tally = z.number().int().nonnegative();

export const adminActionSchemas = {
  ParkedMessageReplayed: z.object({ ...base, subscriberId: z.string(), messageId: z.uuid(), outcome: z.string() }),
  ParkedMessageDiscarded: z.object({
    ...base,
    subscriberId: z.string(),
    messageId: z.uuid(),
    reason: z.string().max(500),
  }),
  ProjectionRebuildRequested: z.object({ ...base, projection: z.string() }),
  ProjectionRebuilt: z.object({
    ...base,
    projection: z.string(),
    messages: z.number().int().nonnegative(),
    ms: z.number().nonnegative(),
  }),
  ExportMade: z.object({
    ...base,
    kind: z.string(),
    subject: z.string(),
    format: z.string(),
    messages: z.number().int().nonnegative(),
  }),
  // npm run audit:verify's outcome (src/audit/verification-record.ts); the dashboard shows the newest.
  AuditChainVerified: z.object({
    ...base,
    /** Who ran it, as people read it: `cli:<user>@<host>`, or `admin:<id>`. */
    by: z.string(),
    ok: z.boolean(),
    verdict: z.enum(['intact', 'unproven', 'failed']),
    /** The chain's head when verification began: checked up to here. */
    upTo: z.number().int().nonnegative(),
    /** The newest head correctly signed and matched by the chain. */
    lastValidHead: z.number().int().nonnegative().nullable(),
    messages: z.number().int().nonnegative(),
    unsignedLinks: z.number().int().nonnegative(),
    /** How many of each kind (src/audit/report.ts). */
    problems: z.object({
      altered: tally,
      inserted: tally,
      deleted: tally,
      forged: tally,
      'unknown-key': tally,
      contradicted: tally,
      unsigned: tally,
    }),
    firstProblem: z.string().nullable(),
  }),
  UserErasureRequested: z.object({ ...base, userId: z.uuid() }),
  /** An admin took a video down from the portal; the TakeDownVideo command follows it, with the same trace. */
  VideoTakeDownRequested: z.object({ ...base, videoId: z.uuid(), reason: z.string().max(500) }),
  /** An admin deleted a video from the portal, after confirming; the DeleteVideo command follows it, with the same trace. */
  VideoDeleteRequested: z.object({ ...base, videoId: z.uuid() }),
  /** The admin asked identity to send the user's welcome email again (ResendRegistrationEmail). */
  WelcomeEmailResendRequested: z.object({ ...base, userId: z.uuid() }),
} as const;

export type AdminAction = MessagesOf<typeof adminActionSchemas>;

export const adminActionsStreamName = (adminId: string): string => streamName(ADMIN_ACTIONS_CATEGORY, adminId);
