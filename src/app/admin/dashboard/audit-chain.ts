import type { Knex } from 'knex';
import type { Logger } from '../../../logger.ts';

export type AuditChainState =
  | { readonly kind: 'not installed' }
  | {
      readonly kind: 'installed';
      readonly lastSignedHead: { readonly globalPosition: number; readonly signedAt: Date } | undefined;
      readonly lastVerification: { readonly ok: boolean; readonly upTo: number | null; readonly at: Date } | undefined;
    }
  | { readonly kind: 'unreadable' };

/**
 * The audit chain's state for the dashboard. The chain is its own part of the system, with its
 * own tables: the dashboard looks for them first (to_regclass), so it shows the right thing
 * whether or not the chain's migration has run, and reads only its newest signed head
 * (audit_chain_heads) and newest verification report (audit_verifications).
 */
export async function loadAuditChainState(db: Knex, logger: Logger): Promise<AuditChainState> {
  try {
    const found = await db.raw<{ rows: { heads: boolean; verifications: boolean }[] }>(
      `SELECT to_regclass('audit_chain_heads') IS NOT NULL AS heads, to_regclass('audit_verifications') IS NOT NULL AS verifications`,
    );
    const tables = found.rows[0];
    if (!tables?.heads) return { kind: 'not installed' };
    const [head, verification] = await Promise.all([
      db('audit_chain_heads').orderBy('global_position', 'desc').first<{ global_position: string; signed_at: Date } | undefined>('global_position', 'signed_at'),
      tables.verifications
        ? db('audit_verifications').orderBy('finished_at', 'desc').first<{ ok: boolean; verified_up_to: string | null; finished_at: Date } | undefined>('ok', 'verified_up_to', 'finished_at')
        : undefined,
    ]);
    return {
      kind: 'installed',
      lastSignedHead: head && { globalPosition: Number(head.global_position), signedAt: head.signed_at },
      lastVerification: verification && { ok: verification.ok, upTo: verification.verified_up_to === null ? null : Number(verification.verified_up_to), at: verification.finished_at },
    };
  } catch (error) {
    // Another part's tables, changing on their own schedule: the dashboard says so and goes on.
    logger.warn({ err: error }, 'could not read the audit chain state for the dashboard');
    return { kind: 'unreadable' };
  }
}
