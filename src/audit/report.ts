/** A message the recomputed chain disagrees about. */
export interface MessageProblem {
  /**
   * altered: in the store and the chain, but its content now hashes to another link.
   * inserted: in the store below the chain's head, at a position the chain never saw.
   * deleted: in the chain, no longer in the store.
   */
  readonly kind: 'altered' | 'inserted' | 'deleted';
  readonly globalPosition: number;
  readonly messageId: string;
  readonly streamName: string;
  readonly position: number;
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

export type AuditProblem = MessageProblem | HeadProblem;

export interface ValidHead {
  readonly globalPosition: number;
  readonly link: string;
  readonly signedAt: string;
}

/** The outcome of one verification; plain JSON, so it is stored as it is and shown by the dashboard. */
export interface AuditReport {
  readonly ok: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The chain's newest link when verification began: everything up to it was checked. */
  readonly chainHead: number;
  readonly linksChecked: number;
  /** Store messages above the chain's head: not covered yet, so not checked. */
  readonly notYetCovered: number;
  readonly counts: Readonly<Record<AuditProblem['kind'], number>>;
  /** The first (lowest) message problem of each kind. */
  readonly first: { readonly altered?: MessageProblem; readonly inserted?: MessageProblem; readonly deleted?: MessageProblem };
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
}

export function isMessageProblem(problem: AuditProblem): problem is MessageProblem {
  return problem.kind === 'altered' || problem.kind === 'inserted' || problem.kind === 'deleted';
}
