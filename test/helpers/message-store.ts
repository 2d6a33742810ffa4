import { randomUUID } from 'node:crypto';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { createMessageStore, createMessageStorePool, type Message, type MessageStore } from '../../src/message-store/index.ts';
import { freshDatabases, silentLogger } from './databases.ts';

export interface TestStore {
  readonly store: MessageStore;
  readonly urls: DatabaseUrls;
  close(): Promise<void>;
}

/** A message store on fresh databases; close() ends its pool and listener. */
export async function openTestStore(urls?: DatabaseUrls): Promise<TestStore> {
  const databases = urls ?? (await freshDatabases());
  const pool = createMessageStorePool(databases.messageStoreUrl, 5);
  const store = createMessageStore({ pool, url: databases.messageStoreUrl, logger: silentLogger });
  return {
    store,
    urls: databases,
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

export function message(type: string, data: Record<string, unknown> = {}, metadata: Message['metadata'] = {}): Message {
  return { id: randomUUID(), type, data, metadata };
}

/** A unique category name, so tests sharing a store never read each other's messages. */
export function uniqueCategory(prefix = 'test'): string {
  return `${prefix}${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}
