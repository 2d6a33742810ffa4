import type { Knex } from 'knex';
import type pg from 'pg';
import { lastVerification, type LastVerification } from '../../../audit/index.ts';
import type { Logger } from '../../../logger.ts';
import { countLabel, messageHref, timeLabel } from '../shared/format.ts';
import { counted } from '../../../plural.ts';

export type AuditChainState =
  | { readonly kind: 'not installed' }
  | {
      readonly kind: 'installed';
      /** The newest head as stored: its signature is not checked here (the portal does not hold the key). */
      readonly lastSignedHead: { readonly globalPosition: number; readonly signedAt: Date } | undefined;
      /** The newest AuditChainVerified (npm run audit:verify), or undefined when never verified. */
      readonly lastVerification: LastVerification | undefined;
    }
  | { readonly kind: 'unreadable' };

/**
 * The audit chain's state for the dashboard. The chain is its own part of the system, with its
 * own tables: the dashboard looks for them first (to_regclass), so it shows the right thing
 * whether or not the chain's migration has run. It reads the newest signed head
 * (audit_chain_heads) and the newest AuditChainVerified in the message store: two indexed
 * reads, whatever the store's size.
 */
export async function loadAuditChainState(
  db: Knex,
  messageStorePool: pg.Pool,
  logger: Logger,
): Promise<AuditChainState> {
  try {
    const found = await db.raw<{ rows: { heads: boolean }[] }>(
      `SELECT to_regclass('audit_chain_heads') IS NOT NULL AS heads`,
    );
    if (!found.rows[0]?.heads) return { kind: 'not installed' };
    const [head, verification] = await Promise.all([
      db('audit_chain_heads')
        .orderBy('global_position', 'desc')
        .first<{ global_position: string; signed_at: Date } | undefined>('global_position', 'signed_at'),
      lastVerification(messageStorePool),
    ]);
    return {
      kind: 'installed',
      lastSignedHead: head && { globalPosition: Number(head.global_position), signedAt: head.signed_at },
      lastVerification: verification ?? undefined,
    };
  } catch (error) {
    // Another part's tables, changing on their own schedule: the dashboard says so and goes on.
    logger.warn({ err: error }, 'could not read the audit chain state for the dashboard');
    return { kind: 'unreadable' };
  }
}

type AuditTone = 'ok' | 'warn' | 'muted';

/** One line of the dashboard's audit block. */
interface AuditLine {
  /** verification | signed-head: what the line is about (data-audit-chain in the page). */
  readonly key: string;
  readonly text: string;
  readonly tone: AuditTone;
  /** The message the line is about (the AuditChainVerified itself), when there is one. */
  readonly href?: string;
}

const VERDICT: Record<'intact' | 'unproven' | 'failed', { readonly text: string; readonly tone: AuditTone }> = {
  intact: { text: 'INTACT', tone: 'ok' },
  unproven: {
    text: 'CONSISTENT, NOT PROVEN (heads signed with the public development key prove nothing)',
    tone: 'warn',
  },
  failed: { text: 'FAILED', tone: 'warn' },
};

function verificationLine(verification: LastVerification | undefined): AuditLine {
  if (!verification)
    return { key: 'verification', text: 'last verified: never (run npm run audit:verify)', tone: 'muted' };
  const href = messageHref(verification.globalPosition);
  if (!verification.readable) {
    return {
      key: 'verification',
      text: `last verified: ${timeLabel(verification.at)}, but its record does not read as AuditChainVerified`,
      tone: 'warn',
      href,
    };
  }
  const verdict = VERDICT[verification.verdict];
  const problemCount = Object.values(verification.problems).reduce((sum, count) => sum + count, 0);
  const head =
    verification.lastValidHead === null
      ? 'no valid signed head'
      : `last valid signed head at ${countLabel(verification.lastValidHead)}`;
  const problems =
    problemCount > 0
      ? `; ${counted(problemCount, 'problem')}${verification.firstProblem ? `, first: ${verification.firstProblem}` : ''}`
      : '';
  return {
    key: 'verification',
    text: `last verified: ${verdict.text} up to global position ${countLabel(verification.upTo)} (${counted(verification.messages, 'message')}, ${head}${problems}), ${timeLabel(verification.at)}, by ${verification.by}`,
    tone: verdict.tone,
    href,
  };
}

function signedHeadLine(head: { readonly globalPosition: number; readonly signedAt: Date } | undefined): AuditLine {
  if (!head) return { key: 'signed-head', text: 'newest signed head: none yet', tone: 'muted' };
  return {
    key: 'signed-head',
    text: `newest signed head: global position ${countLabel(head.globalPosition)}, signed ${timeLabel(head.signedAt)} (as stored: only audit:verify, which holds the key, checks it)`,
    tone: 'muted',
  };
}

/** What the dashboard says of the audit chain: the last verification first, then the newest signed head. */
export function auditChainView(state: AuditChainState): { readonly lines: readonly AuditLine[] } {
  if (state.kind === 'not installed')
    return { lines: [{ key: 'state', text: 'audit chain: not installed on this database', tone: 'muted' }] };
  if (state.kind === 'unreadable')
    return { lines: [{ key: 'state', text: 'audit chain: its state could not be read (see the log)', tone: 'warn' }] };
  return { lines: [verificationLine(state.lastVerification), signedHeadLine(state.lastSignedHead)] };
}
