import { shortHex } from '../../audit/signing.ts';

/** The chain's newest link: its global position and value (none before the first link). */
export interface Tip {
  readonly globalPosition: number;
  readonly link: Buffer;
}

export class ChainRewrittenError extends Error {
  override name = 'ChainRewrittenError';
}

const describe = (tip: Tip | undefined): string =>
  tip ? `global position ${tip.globalPosition}, link ${shortHex(tip.link)}` : 'no link at all';
const same = (a: Tip | undefined, b: Tip | undefined): boolean =>
  a && b ? a.globalPosition === b.globalPosition && a.link.equals(b.link) : a === b;

/**
 * The chain's tip as this process left it, so that neither the appender nor the signer goes on
 * from a chain rewritten under it. Someone with write access to the app database who alters a
 * message, recomputes the links from it and deletes the heads that would contradict them leaves
 * a tail no head vouches for; a signer that signed whatever tip it found would vouch for it
 * within seconds. Each link depends on the one before, so any such rewrite (or cutting links
 * off the end) changes the tip. Kept in memory only: forgotten when the subscription (re)starts
 * or takes over, when the stored tip is trusted again (docs/audit.md says what that leaves).
 */
export interface TipGuard {
  /** Throws ChainRewrittenError unless `tip` is one this process left (or, not knowing yet, learns it). */
  check(tip: Tip | undefined): void;
  /**
   * Links were appended from `from` to `to` in a transaction not committed yet: either may be
   * the stored tip next time (a rollback leaves `from`).
   */
  appended(from: Tip | undefined, to: Tip): void;
  forget(): void;
}

export function createTipGuard(): TipGuard {
  // Empty: not known yet. Otherwise one or two candidates: the committed tip, and the one a
  // transaction in flight may commit.
  let candidates: Array<Tip | undefined> = [];
  return {
    check(tip) {
      if (candidates.length === 0) {
        candidates = [tip];
        return;
      }
      if (candidates.some((candidate) => same(candidate, tip))) return;
      throw new ChainRewrittenError(
        `the audit chain's last link is not one this process left (${candidates.map(describe).join(' or ')}; found ${describe(tip)}): ` +
          'links were rewritten or removed while the chain ran. The chain stops here: run npm run audit:verify, then restart the app to go on from the stored chain',
      );
    },
    appended(from, to) {
      candidates = [from, { globalPosition: to.globalPosition, link: to.link }];
    },
    forget() {
      candidates = [];
    },
  };
}
