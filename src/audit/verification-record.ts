import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  ADMIN_ACTIONS_CATEGORY,
  adminActionSchemas,
  adminActionsStreamName,
  type AdminAction,
} from '../contracts/admin-actions.ts';
import { newestAuditChainVerified } from '../message-queries/audit-records.ts';
import type { MessageStore } from '../message-store/index.ts';
import { isHeadProblem, isMessageProblem, type AuditProblem, type AuditReport } from './report.ts';

/*
 * Each run of audit:verify is an admin action, AuditChainVerified in the runner's
 * adminActions-<id> stream: who, when (the message's time), up to where, and the outcome. So the
 * record of verifications is in the log the chain covers: the next run chains this one too.
 */

/** Who runs a verification: an operator at the CLI (an id standing for their OS account), or an admin. */
export interface Verifier {
  readonly adminId: string;
  /** The user behind it, when there is one (metadata.userId). */
  readonly userId: string | null;
  /** As people read it: `cli:<user>@<host>`, `admin:<id>`. */
  readonly label: string;
  readonly traceId: string;
}

type VerifiedData = Extract<AdminAction, { type: 'AuditChainVerified' }>['data'];

/** A problem in a few words, for the event and the dashboard. */
export function describeProblem(problem: AuditProblem): string {
  if (isMessageProblem(problem)) {
    const where = problem.streamName === null ? 'its link deleted too' : `${problem.streamName}/${problem.position}`;
    return `${problem.kind} at global position ${problem.globalPosition} (${where})`;
  }
  if (isHeadProblem(problem)) return `head ${problem.kind} at global position ${problem.globalPosition}`;
  return `${problem.links} unsigned links from global position ${problem.globalPosition} (${problem.reason})`;
}

export function verifiedData(report: AuditReport, verifier: Verifier): VerifiedData {
  const first = report.problems[0];
  return adminActionSchemas.AuditChainVerified.parse({
    adminId: verifier.adminId,
    by: verifier.label,
    ok: report.ok,
    verdict: report.verdict,
    upTo: report.chainHead,
    lastValidHead: report.heads.lastValid?.globalPosition ?? null,
    messages: report.linksChecked,
    unsignedLinks: report.unsignedLinks,
    problems: report.counts,
    firstProblem: first ? describeProblem(first) : null,
  } satisfies VerifiedData);
}

/** Writes AuditChainVerified for `report` to the verifier's adminActions stream. */
export async function recordVerification(
  messageStore: MessageStore,
  verifier: Verifier,
  report: AuditReport,
): Promise<void> {
  const action: AdminAction = {
    id: randomUUID(),
    type: 'AuditChainVerified',
    data: verifiedData(report, verifier),
    metadata: { traceId: verifier.traceId, userId: verifier.userId },
  };
  await messageStore.write(adminActionsStreamName(verifier.adminId), action);
}

/** The newest verification as the dashboard shows it. */
export type LastVerification =
  | ({ readonly readable: true; readonly at: Date; readonly globalPosition: number } & VerifiedData)
  | { readonly readable: false; readonly at: Date; readonly globalPosition: number };

/**
 * The newest AuditChainVerified in the store, or null: one backward step on Message DB's
 * category index (admin actions are few). Its data is parsed, not trusted: a record that does
 * not fit is shown as unreadable rather than as a result.
 */
export async function lastVerification(pool: pg.Pool): Promise<LastVerification | null> {
  const row = await newestAuditChainVerified(pool, ADMIN_ACTIONS_CATEGORY);
  if (!row) return null;
  const parsed = adminActionSchemas.AuditChainVerified.safeParse(row.data);
  const where = { at: row.at, globalPosition: Number(row.global_position) };
  return parsed.success ? { readable: true, ...where, ...parsed.data } : { readable: false, ...where };
}
