import type { Knex } from 'knex';
import type pg from 'pg';
import { countLinksAfter, lastHead, lastLink } from './chain-tables.ts';
import { lastVerification, type LastVerification } from './verification-record.ts';

/** Past this many unsigned links the count stops: the signer signs far sooner (DEFAULT_SIGNING). */
const UNSIGNED_COUNTED = 100_000;

export interface AuditChainState {
  /** The newest link: how far the chain covers the store. */
  readonly chainHead: { readonly globalPosition: number; readonly link: string } | null;
  /** The newest signed head as stored, unchecked: its signature is checked by verify, which has the key. */
  readonly lastSignedHead: {
    readonly globalPosition: number;
    readonly link: string;
    readonly signedAt: Date;
    readonly keyId: string;
  } | null;
  /** Links after the newest signed head, counted up to UNSIGNED_COUNTED. */
  readonly unsignedLinks: number;
  /** The newest AuditChainVerified: when, by whom, up to where, with what outcome. */
  readonly lastVerification: LastVerification | null;
}

/** The audit chain's state: a few indexed reads (the count is of the unsigned tail only). */
export async function auditChainState({
  db,
  messageStorePool,
}: {
  readonly db: Knex;
  readonly messageStorePool: pg.Pool;
}): Promise<AuditChainState> {
  const [link, head, verification] = await Promise.all([
    lastLink(db),
    lastHead(db),
    lastVerification(messageStorePool),
  ]);
  return {
    chainHead: link ? { globalPosition: link.globalPosition, link: link.link.toString('hex') } : null,
    lastSignedHead: head
      ? {
          globalPosition: head.globalPosition,
          link: head.link.toString('hex'),
          signedAt: head.signedAt,
          keyId: head.keyId,
        }
      : null,
    unsignedLinks: link ? await countLinksAfter(db, head?.globalPosition ?? 0, UNSIGNED_COUNTED) : 0,
    lastVerification: verification,
  };
}
