import type { Knex } from 'knex';
import { countLinksAfter, insertHead, lastHead, lastLink } from '../../audit/chain-tables.ts';
import { shortHex, signHead, type SignedHead } from '../../audit/signing.ts';
import { DEFAULT_SIGNING, type SigningPolicy } from '../../audit/signing-policy.ts';
import type { Logger } from '../../logger.ts';
import type { Tip, TipGuard } from './tip.ts';

// The policy lives with verify, which judges the unsigned tail by it.
export { DEFAULT_SIGNING, type SigningPolicy };

/** batch: after links were appended; catch-up: the reader found nothing new; stop: the subscriber is stopping. */
export type SigningOccasion = 'batch' | 'catch-up' | 'stop';

export interface HeadSigner {
  /**
   * Signs the newest link if the policy says it is time; returns the head written, if any.
   * `newest`: the chain's tip as the caller left it in this transaction (the appender, which has
   * checked it), so it is not read again; without it the tip is read and checked here.
   */
  signIfDue(
    db: Knex,
    occasion: SigningOccasion,
    newest?: { readonly tip: Tip | undefined },
  ): Promise<SignedHead | undefined>;
  /** Forgets the newest head it knew: another process may have signed since (a take-over, a restart). */
  forget(): void;
}

export function createHeadSigner({
  key,
  policy,
  now,
  logger,
  tip,
}: {
  key: string;
  policy: SigningPolicy;
  now: () => Date;
  logger: Logger;
  tip: TipGuard;
}): HeadSigner {
  // The newest head as last read or committed, kept so that a batch or a catch-up with nothing
  // due costs no statement. Only this subscriber signs. Unknown (read again) after a head written
  // in a batch's transaction, which may yet roll back.
  let known: { readonly head: SignedHead | undefined } | undefined;
  async function newestHead(db: Knex): Promise<SignedHead | undefined> {
    known ??= { head: await lastHead(db) };
    return known.head;
  }

  const ageOf = (head: SignedHead, time: Date) => time.getTime() - head.signedAt.getTime();

  async function isDue(
    db: Knex,
    head: SignedHead | undefined,
    link: Tip,
    occasion: SigningOccasion,
    time: Date,
  ): Promise<boolean> {
    if (occasion === 'stop' || !head) return true;
    if (occasion === 'catch-up') return ageOf(head, time) >= policy.onCatchUpAfterMs;
    if (ageOf(head, time) >= policy.maxAgeMs) return true;
    // One link at most per global position: a shorter stretch cannot hold enough links yet.
    if (link.globalPosition - head.globalPosition < policy.everyMessages) return false;
    return (await countLinksAfter(db, head.globalPosition, policy.everyMessages)) >= policy.everyMessages;
  }

  return {
    async signIfDue(db, occasion, newest) {
      const time = now();
      const head = await newestHead(db);
      // Nothing is due on catch-up while the last head is young: the chain need not be read. A
      // tip rewritten meanwhile is found by the next batch, or before the next signature.
      if (occasion === 'catch-up' && head && ageOf(head, time) < policy.onCatchUpAfterMs) return undefined;
      let link = newest?.tip;
      if (!newest) {
        link = await lastLink(db);
        // Sign only a tip this process made: never one recomputed under it (ChainRewrittenError).
        tip.check(link);
      }
      if (!link || (head && head.globalPosition >= link.globalPosition)) return undefined;
      if (!(await isDue(db, head, link, occasion, time))) return undefined;
      const signed = signHead(key, { globalPosition: link.globalPosition, link: link.link, signedAt: time });
      const inserted = await insertHead(db, signed);
      known = inserted && !db.isTransaction ? { head: signed } : undefined;
      if (!inserted) return undefined;
      // Every head also goes to the log: logs kept elsewhere are a copy an attacker of the
      // database cannot reach (docs/audit.md), and a logged head can be checked by hand.
      logger.info(
        {
          globalPosition: signed.globalPosition,
          link: signed.link.toString('hex'),
          hmac: signed.hmac.toString('hex'),
          keyId: signed.keyId,
          signedAt: signed.signedAt.toISOString(),
          occasion,
        },
        `audit chain head signed at ${signed.globalPosition} (${shortHex(signed.link)})`,
      );
      return signed;
    },
    forget() {
      known = undefined;
    },
  };
}
