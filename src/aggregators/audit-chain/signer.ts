import type { Knex } from 'knex';
import { countLinksAfter, insertHead, lastHead, lastLink } from '../../audit/chain-tables.ts';
import { shortHex, signHead, type SignedHead } from '../../audit/signing.ts';
import { DEFAULT_SIGNING, type SigningPolicy } from '../../audit/signing-policy.ts';
import type { Logger } from '../../logger.ts';
import type { TipGuard } from './tip.ts';

// The policy lives with verify, which judges the unsigned tail by it.
export { DEFAULT_SIGNING, type SigningPolicy };

/** batch: after links were appended; catch-up: the reader found nothing new; stop: the subscriber is stopping. */
export type SigningOccasion = 'batch' | 'catch-up' | 'stop';

export interface HeadSigner {
  /** Signs the newest link if the policy says it is time; returns the head written, if any. */
  signIfDue(db: Knex, occasion: SigningOccasion): Promise<SignedHead | undefined>;
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
  async function isDue(
    db: Knex,
    head: SignedHead | undefined,
    occasion: SigningOccasion,
    time: Date,
  ): Promise<boolean> {
    if (occasion === 'stop' || !head) return true;
    const age = time.getTime() - head.signedAt.getTime();
    if (occasion === 'catch-up') return age >= policy.onCatchUpAfterMs;
    return (
      age >= policy.maxAgeMs ||
      (await countLinksAfter(db, head.globalPosition, policy.everyMessages)) >= policy.everyMessages
    );
  }

  return {
    async signIfDue(db, occasion) {
      const link = await lastLink(db);
      // Sign only a tip this process made: never one recomputed under it (ChainRewrittenError).
      tip.check(link);
      const head = await lastHead(db);
      if (!link || (head && head.globalPosition >= link.globalPosition)) return undefined;
      const time = now();
      if (!(await isDue(db, head, occasion, time))) return undefined;
      const signed = signHead(key, { globalPosition: link.globalPosition, link: link.link, signedAt: time });
      if (!(await insertHead(db, signed))) return undefined;
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
  };
}
