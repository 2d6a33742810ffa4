import type { Knex } from 'knex';
import type pg from 'pg';
import { DEVELOPMENT_AUDIT_KEY } from '../../audit/key.ts';
import type { Logger } from '../../logger.ts';
import { SOLE_MEMBER, type MessageStore, type RawMessage } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import type { Processor, ProcessorContext } from '../../subscription/processor.ts';
import { ALL_CATEGORIES, createSubscription, type SubscriptionSettings } from '../../subscription/subscription.ts';
import type { SubscriberTurns } from '../../subscription/turns.ts';
import { lastLink } from '../../audit/chain-tables.ts';
import { appendToChain } from './append.ts';
import { createHeadSigner, DEFAULT_SIGNING, type SigningOccasion, type SigningPolicy } from './signer.ts';
import { ChainRewrittenError, createTipGuard } from './tip.ts';

export const AUDIT_CHAIN_SUBSCRIBER_ID = 'aggregators:audit-chain';
// Larger than other subscribers' batches: the chain does the same few statements per batch
// whatever its size, and catching up with a large store is its common case.
const DEFAULT_BATCH_SIZE = 1000;

export interface AuditChainAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  /** The chain hashes each message's exact text, which MessageStore's parsed messages do not keep. */
  readonly messageStorePool: pg.Pool;
  readonly logger: Logger;
  /** Signs the chain's heads (HMAC-SHA256). */
  readonly auditKey: string;
  readonly signing?: Partial<SigningPolicy>;
  /** The clock for the heads' signed-at times. */
  readonly now?: () => Date;
  readonly subscription?: SubscriptionSettings;
  /** The process's turns: the chain, read by no visitor's page, lets those subscribers go first. */
  readonly turns?: SubscriberTurns;
}

/**
 * Keeps the audit chain (docs/audit.md): a link per message over every category in global
 * order, and the chain's head signed now and then. Links commit with the aggregator's position,
 * so a crash neither skips nor repeats one; the chain only ever grows, so a replay changes
 * nothing. Run it in one process (it reads every category, so it takes no consumer group).
 */
export function createAuditChainAggregator({
  db,
  messageStore,
  messageStorePool,
  logger,
  auditKey,
  signing,
  now = () => new Date(),
  subscription,
  turns,
}: AuditChainAggregatorDeps) {
  if (auditKey === '') throw new Error('the audit chain needs a key to sign its heads');
  const log = logger.child({ subscriberId: AUDIT_CHAIN_SUBSCRIBER_ID });
  if (auditKey === DEVELOPMENT_AUDIT_KEY)
    log.warn(
      "AUDIT_KEY is not set: the audit chain's heads are signed with the development key, which proves nothing (set AUDIT_KEY)",
    );
  const tip = createTipGuard();
  const signer = createHeadSigner({ key: auditKey, policy: { ...DEFAULT_SIGNING, ...signing }, now, logger: log, tip });

  const projection: BatchProjection<RawMessage> = {
    // Every message is chained whatever its data: the chain vouches for bytes, not for contracts.
    parse: (message) => message,
    async apply(messages, trx) {
      const newest = await appendToChain(trx, messageStorePool, messages, log, tip);
      // In the same transaction as the links: a head never names a link that was rolled back.
      await signer.signIfDue(trx, 'batch', { tip: newest });
    },
  };
  const inner = createAggregatorProcessor({ db, subscriberId: AUDIT_CHAIN_SUBSCRIBER_ID, projection });

  /** Signing on catch-up and stop is a nicety over the interval rule: a failure is logged, not fatal. */
  // Catch-up comes round every poll on a quiet site: say a refusal once per rewrite, not each second.
  let refusalLogged: string | undefined;
  async function signQuietly(occasion: SigningOccasion): Promise<void> {
    try {
      await signer.signIfDue(db, occasion);
      refusalLogged = undefined;
    } catch (error) {
      if (!(error instanceof ChainRewrittenError)) {
        log.warn(
          { err: error, occasion },
          'could not sign the audit chain head; the next batch or catch-up tries again',
        );
        return;
      }
      if (refusalLogged === error.message) return;
      refusalLogged = error.message;
      log.error(
        { err: error, occasion },
        'refused to sign the audit chain head: the chain was rewritten under this process',
      );
    }
  }

  const processor: Processor = {
    ...inner,
    // Called when the subscription starts or takes over the member: another process may have
    // extended the chain meanwhile, so the stored tip is trusted again from here.
    async loadPosition() {
      tip.forget();
      signer.forget();
      const position = await inner.loadPosition();
      // Trust the stored tip from now, not from the first batch or signature: a catch-up with a
      // young head reads no link, and a rewrite after this start must be refused, not adopted.
      // Read under the position row's lock, as a batch takes it: a batch still in flight from the
      // process that held the member until a moment ago has committed its links by then.
      await db.transaction(async (trx) => {
        await trx('subscriber_positions')
          .where({
            subscriber_id: AUDIT_CHAIN_SUBSCRIBER_ID,
            group_member: SOLE_MEMBER.member,
            group_size: SOLE_MEMBER.size,
          })
          .forShare()
          .first('position');
        tip.check(await lastLink(trx));
      });
      return position;
    },
    async caughtUp(position: number, context: ProcessorContext) {
      await signQuietly('catch-up');
      return inner.caughtUp(position, context);
    },
    async checkpoint(position: number, context: ProcessorContext) {
      await inner.checkpoint(position, context);
      await signQuietly('stop');
    },
  };

  return {
    projection,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: AUDIT_CHAIN_SUBSCRIBER_ID,
      category: ALL_CATEGORIES,
      processor,
      batchSize: DEFAULT_BATCH_SIZE,
      ...subscription,
      // Never grown: heads are signed at the end of a batch once enough links have come, so
      // batches that grew would space them unevenly, past the signing interval.
      maxBatchSize: subscription?.batchSize ?? DEFAULT_BATCH_SIZE,
      ...(turns && { turns, priority: 'background' as const }),
    }),
  };
}

export type { SigningPolicy } from './signer.ts';
