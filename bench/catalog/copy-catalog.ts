import pg from 'pg';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { dropDatabase, ensureDatabase } from '../../src/db/ensure-database.ts';
import { prepareDatabases } from '../../src/db/prepare-databases.ts';
import type { Logger } from '../../src/logger.ts';

export interface CatalogCopy {
  readonly urls: DatabaseUrls;
  /** Drops both copies. */
  drop(): Promise<void>;
}

const suffixed = (url: string, suffix: string) => {
  const copy = new URL(url);
  copy.pathname = `${copy.pathname}${suffix}`;
  return copy.toString();
};

/** Keeps in the copy only what the seed wrote: what the system wrote while it caught up lies above `seededHead`. */
async function onlySeedsMessages(messageStoreUrl: string, seededHead: number, written: number): Promise<void> {
  const client = new pg.Client({ connectionString: messageStoreUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM message_store.messages WHERE global_position <= $1',
      [seededHead],
    );
    if (Number(rows[0]!.n) !== written)
      throw new Error(
        `the store holds ${rows[0]!.n} messages up to ${seededHead}, not the seed's ${written}: this seed's file says nothing of where its messages end`,
      );
    await client.query('DELETE FROM message_store.messages WHERE global_position > $1', [seededHead]);
    await client.query('VACUUM (ANALYZE) message_store.messages');
  } finally {
    await client.end();
  }
}

/**
 * The seed sealed its users' personal fields (creators' emails and names, the viewers' playback)
 * with keys kept in the app database, not the store. A fresh app database without them would open
 * none of those fields: each message would be passed over as if its user were erased, and the
 * catch-up would do less work than the seed's did.
 */
async function copyKeys(fromUrl: string, toUrl: string): Promise<number> {
  const from = new pg.Client({ connectionString: fromUrl });
  const to = new pg.Client({ connectionString: toUrl });
  await Promise.all([from.connect(), to.connect()]);
  try {
    const { rows } = await from.query<{ user_id: string; key: Buffer | null; erased_at: Date | null }>(
      'SELECT user_id, key, erased_at FROM personal_data.personal_data_keys',
    );
    for (let start = 0; start < rows.length; start += 1_000) {
      const chunk = rows.slice(start, start + 1_000);
      await to.query(
        `INSERT INTO personal_data.personal_data_keys (user_id, key, erased_at)
         SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::timestamptz[])`,
        [chunk.map((row) => row.user_id), chunk.map((row) => row.key), chunk.map((row) => row.erased_at)],
      );
    }
    return rows.length;
  } finally {
    await Promise.all([from.end(), to.end()]);
  }
}

/**
 * A catalog as its seed left it, before the system caught up: a copy of its message store with
 * only the seed's messages (checked: `written` of them up to `seededHead`), and a fresh app
 * database holding only its personal-data keys. Named after the catalog's with `_again`; a copy
 * left by an earlier run is dropped first. The catalog itself is not touched.
 */
export async function copyCatalogAsSeeded(
  catalog: DatabaseUrls,
  { seededHead, written, logger }: { readonly seededHead: number; readonly written: number; readonly logger: Logger },
): Promise<CatalogCopy & { readonly keys: number }> {
  const urls = {
    messageStoreUrl: suffixed(catalog.messageStoreUrl, '_again'),
    databaseUrl: suffixed(catalog.databaseUrl, '_again'),
  };
  const drop = async () => {
    await Promise.all([dropDatabase(urls.messageStoreUrl), dropDatabase(urls.databaseUrl)]);
  };
  await drop();
  try {
    await ensureDatabase(urls.messageStoreUrl, logger, new URL(catalog.messageStoreUrl).pathname.slice(1));
    await onlySeedsMessages(urls.messageStoreUrl, seededHead, written);
    await prepareDatabases(urls, logger);
    const keys = await copyKeys(catalog.databaseUrl, urls.databaseUrl);
    return { urls, drop, keys };
  } catch (error) {
    await drop();
    throw error;
  }
}
