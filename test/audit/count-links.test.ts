import test from 'tape';
import { countLinksAfter } from '../../src/audit/chain-tables.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

const LINKS = 300_000;

// Found catching up a ten-million-message store: the signer's count of the unsigned tail was
// planned, without statistics, as a parallel scan of every link, once a batch.
test('audit chain: the unsigned tail is counted along the primary key, never by scanning every link', async (t) => {
  const { databaseUrl } = await freshDatabases();
  const db = createAppDatabase(databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  // As a catch-up leaves the table: grown at once, never analysed.
  await db.raw('ALTER TABLE audit_chain_links SET (autovacuum_enabled = false)');
  await db.raw(
    `INSERT INTO audit_chain_links (global_position, message_id, stream_name, position, link, previous_global_position)
     SELECT n, gen_random_uuid(), 'someCategory-1', n - 1, sha256(int8send(n)), n - 1 FROM generate_series(1, ?) AS n`,
    [LINKS],
  );

  const statements: Array<{ sql: string; bindings: readonly unknown[] }> = [];
  const listener = (query: { sql: string; bindings?: readonly unknown[] }) =>
    statements.push({ sql: query.sql, bindings: query.bindings ?? [] });
  db.on('query', listener);
  const counts = [
    await countLinksAfter(db, 1_000, 1_000),
    await countLinksAfter(db, LINKS - 500, 1_000),
    await countLinksAfter(db, LINKS, 1_000),
  ];
  db.removeListener('query', listener);
  t.deepEqual(counts, [1_000, 500, 0], 'counts the tail, up to the bound');
  t.equal(statements.length, 3, 'one statement a count, each explained below');

  for (const { sql, bindings } of statements) {
    const plan = (
      await db.raw<{ rows: Array<{ 'QUERY PLAN': string }> }>(
        // The statement as knex sent it, its $n placeholders back to knex's own.
        `EXPLAIN ${sql.replace(/\$\d+/g, '?')}`,
        bindings as never[],
      )
    ).rows
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    t.ok(
      /Index (Only )?Scan using audit_chain_links_pkey/.test(plan) && !/Seq Scan/.test(plan),
      `by the index:\n${plan}`,
    );
  }
});
