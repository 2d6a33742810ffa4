import type { Knex } from 'knex';

/**
 * The shadow of a projection: a schema of its own holding empty tables shaped like the live ones
 * (columns, defaults, constraints, indexes). A transaction that sets its search_path to the
 * shadow schema first writes there through the aggregator's unchanged code, since every
 * projection names its tables without a schema. Not copied by LIKE: foreign keys and triggers
 * (these projections have none).
 */
export function shadowSchemaOf(projectionName: string): string {
  return `rebuild_${projectionName.replace(/[^a-z0-9]/g, '_')}`;
}

/** The schema the app's tables live in (normally public). */
export async function liveSchemaOf(db: Knex): Promise<string> {
  const result = await db.raw<{ rows: Array<{ schema: string }> }>('SELECT current_schema() AS schema');
  const schema = result.rows[0]?.schema;
  if (!schema) throw new Error('the app database has no current schema');
  return schema;
}

/**
 * Writes of this transaction go to the shadow's tables; everything else is still found in the
 * live schema. PostgreSQL passes over a search_path entry that does not exist, which would send
 * the writes to the live tables, so the shadow must be there.
 */
export async function useShadow(trx: Knex.Transaction, shadow: string, live: string): Promise<void> {
  const found = await trx.raw<{ rows: Array<{ exists: boolean }> }>('SELECT to_regnamespace(?) IS NOT NULL AS exists', [
    shadow,
  ]);
  if (found.rows[0]?.exists !== true) throw new Error(`the shadow schema ${shadow} is gone`);
  await trx.raw('SET LOCAL search_path TO ??, ??', [shadow, live]);
}

export async function dropShadow(db: Knex, shadow: string): Promise<void> {
  await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [shadow]);
}

/** A fresh shadow (an earlier one left by a rebuild that died is dropped first), seeded as a migration would. */
export async function createShadow(
  db: Knex,
  {
    shadow,
    live,
    tables,
    seed,
  }: { shadow: string; live: string; tables: readonly string[]; seed?: (trx: Knex.Transaction) => Promise<void> },
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [shadow]);
    await trx.raw('CREATE SCHEMA ??', [shadow]);
    for (const table of tables)
      await trx.raw('CREATE TABLE ??.?? (LIKE ??.?? INCLUDING ALL)', [shadow, table, live, table]);
    if (seed) {
      await useShadow(trx, shadow, live);
      await seed(trx);
    }
  });
}

interface IndexRow {
  readonly name: string;
  readonly definition: string;
}

async function indexesOf(trx: Knex.Transaction, schema: string, table: string): Promise<IndexRow[]> {
  const result = await trx.raw<{ rows: IndexRow[] }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = (quote_ident(?) || '.' || quote_ident(?))::regclass`,
    [schema, table],
  );
  return result.rows;
}

/** An index as PostgreSQL would create it, less its name and its table's: the same on a table and its shadow. */
function shapeOf(definition: string): string {
  return definition.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, 'CREATE $1INDEX ON ');
}

/**
 * Puts the shadow's tables in place of the live ones, inside the caller's transaction: the live
 * tables are dropped and the shadow's moved into the live schema, so a reader sees the old
 * projection until the commit and the new one after, never neither. LIKE names copied indexes
 * after their columns, so each is given back the name it had (a later migration may name it).
 */
export async function swapInShadow(
  trx: Knex.Transaction,
  { shadow, live, tables }: { shadow: string; live: string; tables: readonly string[] },
): Promise<void> {
  for (const table of tables) {
    const named = new Map((await indexesOf(trx, live, table)).map((index) => [shapeOf(index.definition), index.name]));
    await trx.raw('DROP TABLE ??.??', [live, table]);
    await trx.raw('ALTER TABLE ??.?? SET SCHEMA ??', [shadow, table, live]);
    for (const index of await indexesOf(trx, live, table)) {
      const name = named.get(shapeOf(index.definition));
      if (name !== undefined && name !== index.name)
        await trx.raw('ALTER INDEX ??.?? RENAME TO ??', [live, index.name, name]);
    }
  }
}
