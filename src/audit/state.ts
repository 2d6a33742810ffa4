import type { Knex } from 'knex';
import { countLinksAfter, lastHead, lastLink } from './chain-tables.ts';
import type { AuditReport } from './report.ts';

export interface AuditChainState {
  /** The newest link: how far the chain covers the store. */
  readonly chainHead: { readonly globalPosition: number; readonly link: string } | null;
  /** The newest signed head as stored (its signature is checked by verify, which has the key). */
  readonly lastSignedHead: { readonly globalPosition: number; readonly link: string; readonly signedAt: Date; readonly keyId: string } | null;
  /** Links after the newest signed head. */
  readonly unsignedLinks: number;
  /** The newest audit:verify run (from the CLI or the dashboard), with its report. */
  readonly lastVerification: { readonly finishedAt: Date; readonly ok: boolean; readonly verifiedUpTo: number | null; readonly report: AuditReport } | null;
}

interface VerificationRow {
  finished_at: Date;
  ok: boolean;
  verified_up_to: string | null;
  report: AuditReport;
}

/** What the dashboard shows of the audit chain: a few indexed reads, cheap on any store size. */
export async function auditChainState(db: Knex): Promise<AuditChainState> {
  const [link, head, verification] = await Promise.all([
    lastLink(db),
    lastHead(db),
    // jsonb comes back parsed; the report is ours, written by verifyAuditChain.
    db('audit_verifications').orderBy('id', 'desc').first<VerificationRow | undefined>('finished_at', 'ok', 'verified_up_to', 'report'),
  ]);
  return {
    chainHead: link ? { globalPosition: link.globalPosition, link: link.link.toString('hex') } : null,
    lastSignedHead: head ? { globalPosition: head.globalPosition, link: head.link.toString('hex'), signedAt: head.signedAt, keyId: head.keyId } : null,
    unsignedLinks: link ? await countLinksAfter(db, head?.globalPosition ?? 0) : 0,
    lastVerification: verification
      ? {
          finishedAt: verification.finished_at,
          ok: verification.ok,
          verifiedUpTo: verification.verified_up_to === null ? null : Number(verification.verified_up_to),
          report: verification.report,
        }
      : null,
  };
}
