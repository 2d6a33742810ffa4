import { randomUUID } from 'node:crypto';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { messageVersions } from '../../src/contracts/versions.ts';
import {
  createMessageStore,
  createMessageStorePool,
  type Message,
  type MessageStore,
} from '../../src/message-store/index.ts';
import type pg from 'pg';
import { freshDatabases, silentLogger } from './databases.ts';
import type { Scope } from './scope.ts';

export interface TestStore {
  readonly store: MessageStore;
  readonly pool: pg.Pool;
  readonly urls: DatabaseUrls;
}

export interface TestStoreOptions {
  readonly max?: number;
}

/** A message store on fresh databases (or the ones given), closed with the scope. */
export async function openTestStore(
  scope: Scope,
  urls?: DatabaseUrls,
  { max = 5 }: TestStoreOptions = {},
): Promise<TestStore> {
  const databases = urls ?? (await freshDatabases());
  const pool = scope.add(createMessageStorePool(databases.messageStoreUrl, { logger: silentLogger, max }), (p) =>
    p.end(),
  );
  const store = scope.add(
    createMessageStore({ pool, url: databases.messageStoreUrl, logger: silentLogger, versions: messageVersions }),
    (s) => s.close(),
  );
  return { store, pool, urls: databases };
}

export function message(type: string, data: Record<string, unknown> = {}, metadata: Message['metadata'] = {}): Message {
  return { id: randomUUID(), type, data, metadata };
}

/** A unique category name, so tests sharing a store never read each other's messages. */
export function uniqueCategory(prefix = 'test'): string {
  return `${prefix}${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

export async function writeMany(store: MessageStore, category: string, count: number, type = 'Tick'): Promise<void> {
  for (let n = 0; n < count; n += 1) await store.write(`${category}-${randomUUID()}`, message(type, { n }));
}
