// Shared by the audit chain tests: an aggregator on a test store, a superuser connection to
// tamper with, and reads of what the chain holds.
import type { Knex } from 'knex';
import pg from 'pg';
import { createAuditChainAggregator, type SigningPolicy } from '../../src/aggregators/audit-chain/index.ts';
import { GENESIS_LINK, nextLink } from '../../src/audit/canonical.ts';
import { readRecordsAfter } from '../../src/message-queries/audit-records.ts';
import { verifyAuditChain, type VerifyOptions } from '../../src/audit/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import type { Subscription } from '../../src/subscription/subscription.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import type { Logger } from '../../src/logger.ts';

export const AUDIT_KEY = 'test audit key: thirty-two characters or more';

/** Signs on every catch-up, so a drained chain always ends in a signed head. */
export const SIGN_ON_CATCH_UP: Partial<SigningPolicy> = { onCatchUpAfterMs: 0 };

export interface ChainDeps {
  readonly store: MessageStore;
  readonly pool: pg.Pool;
  readonly db: Knex;
}

export function auditChain(
  { store, pool, db }: ChainDeps,
  options: { signing?: Partial<SigningPolicy>; batchSize?: number; auditKey?: string; logger?: Logger } = {},
) {
  return createAuditChainAggregator({
    db,
    messageStore: store,
    messageStorePool: pool,
    logger: options.logger ?? silentLogger,
    auditKey: options.auditKey ?? AUDIT_KEY,
    signing: options.signing ?? SIGN_ON_CATCH_UP,
    subscription: { retry: FAST_RETRY, pollIntervalMs: 50, ...(options.batchSize && { batchSize: options.batchSize }) },
  });
}

/** Ticks until caught up, waiting out gaps the reader holds at (a rolled-back write). */
export async function drainChain(subscription: Subscription): Promise<void> {
  for (;;) {
    const read = await subscription.tick();
    if (read === 0 && !subscription.status().waitingAtGap) return;
  }
}

/**
 * A connection as the server's superuser, without the message_store role the app's
 * connections take: the only kind that may UPDATE or DELETE messages.
 */
export async function superuser(scope: Scope, messageStoreUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: messageStoreUrl });
  await client.connect();
  return scope.add(client, (c) => c.end());
}

export async function globalPositions(pool: pg.Pool): Promise<number[]> {
  const result = await pool.query<{ global_position: string }>(
    'SELECT global_position FROM messages ORDER BY global_position',
  );
  return result.rows.map((row) => Number(row.global_position));
}

export async function linkRows(
  db: Knex,
): Promise<Array<{ global_position: string; message_id: string; link: Buffer }>> {
  return db('audit_chain_links').orderBy('global_position').select('global_position', 'message_id', 'link');
}

export async function headRows(
  db: Knex,
): Promise<Array<{ global_position: string; link: Buffer; hmac: Buffer; key_id: string; signed_at: Date }>> {
  return db('audit_chain_heads')
    .orderBy('global_position')
    .select('global_position', 'link', 'hmac', 'key_id', 'signed_at');
}

/**
 * What an attacker with write access to the app database does after altering a message: the
 * links from `from` on recomputed with the public recipe, so each agrees with the store again.
 */
export async function recomputeLinksFrom(db: Knex, pool: pg.Pool, from: number): Promise<void> {
  const previous = await db('audit_chain_links')
    .where('global_position', '<', from)
    .orderBy('global_position', 'desc')
    .first<{ link: Buffer } | undefined>('link');
  let link = previous?.link ?? GENESIS_LINK;
  for (const record of await readRecordsAfter(pool, from - 1, Number.MAX_SAFE_INTEGER, 10_000)) {
    link = nextLink(link, record);
    await db('audit_chain_links')
      .where({ global_position: Number(record.globalPosition) })
      .update({ link });
  }
}

/** A store seeded by `seed`, chained and signed (a head every 4 links), and a superuser to tamper with it. */
export async function chainedStore(scope: Scope, seed: (pool: pg.Pool, store: MessageStore) => Promise<void>) {
  const { store, pool, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await seed(pool, store);
  const chain = scope.running(
    auditChain({ store, pool, db }, { batchSize: 4, signing: { everyMessages: 4, onCatchUpAfterMs: 0 } }).subscription,
  );
  await drainChain(chain);
  const positions = await globalPositions(pool);
  const admin = await superuser(scope, urls.messageStoreUrl);
  const verify = (options: Partial<Pick<VerifyOptions, 'now' | 'signing' | 'auditKey'>> = {}) =>
    verifyAuditChain({ db, messageStorePool: pool, auditKey: AUDIT_KEY, ...options });
  return { store, pool, db, urls, positions, admin, verify, chain };
}
