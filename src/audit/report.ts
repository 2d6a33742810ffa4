/** A message the recomputed chain disagrees about. */
export interface MessageProblem {
  /**
   * altered: in the store and the chain, but its content now hashes to another link.
   * inserted: in the store below the chain's head, at a position the chain never saw; or a link
   *   row put between two links the chain made one after the other.
   * deleted: in the chain, no longer in the store; or gone from both, found by the link after it,
   *   which names its predecessor.
   */
  readonly kind: 'altered' | 'inserted' | 'deleted';
  readonly globalPosition: number;
  /** Null only for a deletion whose link row went too: the chain no longer knows which message it was. */
  readonly messageId: string | null;
  readonly streamName: string | null;
  readonly position: number | null;
  /**
   * For a deletion whose link rows went too: the lowest global position the deleted run may
   * begin at. Messages from here to globalPosition were deleted (globalPosition certainly; the
   * ones before it, if there were any: a rolled-back write leaves a gap that never held one).
   */
  readonly deletedFrom?: number;
}

/** A signed head that does not vouch for the chain. */
export interface HeadProblem {
  /**
   * forged: its HMAC is wrong for the key it names.
   * unknown-key: signed with none of the keys given (rotated out, or a forgery naming a made-up key).
   * contradicted: a valid signature, but the chain's link at that position is not the one signed:
   * the chain was rewritten (or its links removed) after the head was signed.
   */
  readonly kind: 'forged' | 'unknown-key' | 'contradicted';
  readonly globalPosition: number;
  readonly signedAt: string;
  readonly keyId: string;
}

/**
 * The chain's tail has gone without a valid signature for longer than the signer ever leaves it
 * (see TailReport): heads were deleted or altered, or the audit-chain aggregator is not running.
 * Links that no head vouches for can have been recomputed over an altered store.
 */
export interface TailProblem {
  readonly kind: 'unsigned';
  readonly reason: NonNullable<TailReport['reason']>;
  /** The first link after the last valid head. */
  readonly globalPosition: number;
  readonly links: number;
}

export type AuditProblem = MessageProblem | HeadProblem | TailProblem;

export interface ValidHead {
  readonly globalPosition: number;
  readonly link: string;
  readonly signedAt: string;
  /** Signed with the development key, which is public: it proves nothing (anyone can re-sign). */
  readonly developmentKey: boolean;
}

/**
 * The links after the last valid head, judged by the signing policy. The aggregator signs in the
 * same transaction as the links once `everyMessages` are unsigned, and otherwise within
 * `maxAgeMs` of its last head (on the next batch or catch-up), so a longer or older tail means
 * heads were removed, or the signer has stopped.
 */
export interface TailReport {
  readonly links: number;
  /** The first unsigned link's global position (null when there is none). */
  readonly from: number | null;
  /**
   * signed: no unsigned link. pending: a tail the signer has not reached yet (within the
   * policy), protected by the hash chain alone until it is signed. unsigned: a problem (reason).
   */
  readonly status: 'signed' | 'pending' | 'unsigned';
  /** no-valid-head: links but no head vouches for any; too-many: more unsigned links than the signer leaves; overdue: older than it leaves them. */
  readonly reason: 'no-valid-head' | 'too-many' | 'overdue' | null;
  /** The most unsigned links the signer leaves. */
  readonly allowedLinks: number;
  /** How long after its last head the signer signs at the latest, with a grace for polling and clocks. */
  readonly allowedAgeMs: number;
  /** How long before verification began the last valid head was signed. */
  readonly lastHeadAgeMs: number | null;
}

/**
 * intact: nothing wrong, and the last valid head is signed with a real key. unproven: nothing
 * wrong found, but the heads are signed with the development key, which anyone can compute, so
 * a rewritten chain could have been re-signed: consistent, not proven. failed: a problem.
 */
export type AuditVerdict = 'intact' | 'unproven' | 'failed';

/** The outcome of one verification; plain JSON, printed with --json and summed up in AuditChainVerified. */
export interface AuditReport {
  /** Nothing wrong was found (verdict intact or unproven). */
  readonly ok: boolean;
  readonly verdict: AuditVerdict;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The chain's newest link when verification began: everything up to it was checked. */
  readonly chainHead: number;
  readonly linksChecked: number;
  /** Store messages above the chain's head: not covered yet, so not checked. */
  readonly notYetCovered: number;
  readonly counts: Readonly<Record<AuditProblem['kind'], number>>;
  /** The first (lowest) message problem of each kind. */
  readonly first: {
    readonly altered?: MessageProblem;
    readonly inserted?: MessageProblem;
    readonly deleted?: MessageProblem;
  };
  /** Problems in global order, the first `problemsLimit` of them. */
  readonly problems: readonly AuditProblem[];
  readonly problemsLimit: number;
  readonly heads: {
    readonly checked: number;
    readonly valid: number;
    /** The newest head that is both correctly signed and matched by the chain: the last verified head. */
    readonly lastValid: ValidHead | null;
    /** Valid heads signed with the development key, which anyone can compute. */
    readonly developmentKey: number;
  };
  /** Links after the last valid head: protected by the hash chain alone, not yet by a signature. */
  readonly unsignedLinks: number;
  readonly tail: TailReport;
}

export function isMessageProblem(problem: AuditProblem): problem is MessageProblem {
  return problem.kind === 'altered' || problem.kind === 'inserted' || problem.kind === 'deleted';
}

export function isHeadProblem(problem: AuditProblem): problem is HeadProblem {
  return problem.kind === 'forged' || problem.kind === 'unknown-key' || problem.kind === 'contradicted';
}
