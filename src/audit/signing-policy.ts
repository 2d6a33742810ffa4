/**
 * When the audit-chain aggregator signs the chain's head. It lives here, beside verify, because
 * verify judges the unsigned tail by it: a tail the signer would have signed by now, had it been
 * left alone, means heads were deleted (or the signer is not running).
 */
export interface SigningPolicy {
  /** After this many links not yet covered by a signature. */
  readonly everyMessages: number;
  /** Or once the last signature is this old and links have been added since. */
  readonly maxAgeMs: number;
  /**
   * On catching up, once the last signature is this old: so the tip is signed soon after a
   * burst ends, without a head per message under a trickle of single writes.
   */
  readonly onCatchUpAfterMs: number;
}

export const DEFAULT_SIGNING: SigningPolicy = { everyMessages: 1000, maxAgeMs: 60_000, onCatchUpAfterMs: 5_000 };

/**
 * Slack on top of the policy's age before verify calls an unsigned tail overdue: the aggregator
 * polls, commits a batch at a time and may run on a host whose clock is a little off.
 */
export const DEFAULT_TAIL_GRACE_MS = 60_000;
