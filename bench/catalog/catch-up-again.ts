// npm run bench:catch-up-again -- --json <the seed's file> [--keep]
//
// Times the whole system's catch-up from zero again on a seeded catalog, as the seed timed it,
// after a code change and without seeding anew: a copy of the catalog's message store with only
// the seed's messages (what the system wrote while it caught up the first time is left out of
// the copy), a fresh app database holding only the catalog's personal-data keys, and the real
// system started on the two until every subscriber is at the head. The copies are dropped at the end unless --keep. The catalog itself is not
// touched. Run it under `node --cpu-prof` to see where the time goes.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { dropDatabase, ensureDatabase } from '../../src/db/ensure-database.ts';
import { prepareDatabases } from '../../src/db/prepare-databases.ts';
import { createLogger } from '../../src/logger.ts';
import { catchUpFromZero, catchUpTable, headAt, logCatchUpProgress } from './catch-up.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = createLogger('silent');

const seedFile = z.object({
  urls: z.object({ messageStoreUrl: z.string(), databaseUrl: z.string() }),
  write: z.array(z.object({ messages: z.number() })),
  /** Written by seeds since this tool came; before it, the seed's messages are 1 to their count, checked below. */
  seededHead: z.number().optional(),
});

const renamed = (url: string, suffix: string) => {
  const copy = new URL(url);
  copy.pathname = `${copy.pathname}${suffix}`;
  return copy.toString();
};

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

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: { json: { type: 'string' }, keep: { type: 'boolean' } },
    strict: true,
  });
  if (values.json === undefined) throw new Error('--json <the seed file> is required');
  const seed = seedFile.parse(JSON.parse(await readFile(values.json, 'utf8')));
  const written = seed.write.reduce((sum, phase) => sum + phase.messages, 0);
  const seededHead = seed.seededHead ?? written;
  const urls = {
    messageStoreUrl: renamed(seed.urls.messageStoreUrl, '_again'),
    databaseUrl: renamed(seed.urls.databaseUrl, '_again'),
  };
  await Promise.all([dropDatabase(urls.messageStoreUrl), dropDatabase(urls.databaseUrl)]);
  try {
    const template = new URL(seed.urls.messageStoreUrl).pathname.slice(1);
    log(`copying the message store (${written.toLocaleString('en')} messages of the seed)`);
    await ensureDatabase(urls.messageStoreUrl, logger, template);
    await onlySeedsMessages(urls.messageStoreUrl, seededHead, written);
    await prepareDatabases(urls, logger);
    const keys = await copyKeys(seed.urls.databaseUrl, urls.databaseUrl);
    log(`copied ${keys.toLocaleString('en')} personal-data keys from the catalog's app database`);
    log(
      `starting the system on the copy, every subscriber from position 0 (head ${(await headAt(urls.messageStoreUrl)).toLocaleString('en')})`,
    );
    const result = await catchUpFromZero({ urls, logger, onProgress: logCatchUpProgress(log) });
    for (const line of catchUpTable(result)) log(line);
  } finally {
    if (!values.keep) await Promise.all([dropDatabase(urls.messageStoreUrl), dropDatabase(urls.databaseUrl)]);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench:catch-up-again: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
