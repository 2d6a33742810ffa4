import type { Knex } from 'knex';
import { lockEachInOrder } from '../../src/db/advisory-locks.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/** The advisory locks a backend holds (granted) or waits for, as the keys lockEachInOrder made of `names`. */
async function locksOf(db: Knex, pid: number, names: readonly string[]) {
  const { rows } = await db.raw<{ rows: Array<{ name: string; granted: boolean }> }>(
    `SELECT n.name, l.granted
       FROM unnest(?::text[]) AS n(name)
       JOIN pg_locks l
         ON l.locktype = 'advisory' AND l.pid = ? AND l.objsubid = 1
        AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(n.name, 0)
      ORDER BY n.name`,
    [[...names], pid],
  );
  return rows;
}

const backendPid = async (trx: Knex.Transaction) =>
  (await trx.raw<{ rows: Array<{ pid: number }> }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

scopedTest(
  'advisory locks: taken in sorted order, so a waiter holds only the keys before the one it waits on',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 3 }), (d) => d.destroy());
    const holder = await db.transaction();
    scope.add(holder, (trx) => (trx.isCompleted() ? undefined : trx.rollback()));
    await lockEachInOrder(holder, { prefix: 't:' }, ['b']);

    const waiter = await db.transaction();
    scope.add(waiter, (trx) => (trx.isCompleted() ? undefined : trx.rollback()));
    const waiterPid = await backendPid(waiter);
    const statements: string[] = [];
    waiter.on('query', (query: { sql: string }) => statements.push(query.sql));
    const locking = lockEachInOrder(waiter, { prefix: 't:' }, ['c', 'a', 'b', 'a']);

    const waiting = await waitUntil('the second transaction to wait on t:b', async () => {
      const rows = await locksOf(db, waiterPid, ['t:a', 't:b', 't:c']);
      return rows.some((row) => !row.granted) && rows;
    });
    t.deepEqual(
      waiting,
      [
        { name: 't:a', granted: true },
        { name: 't:b', granted: false },
      ],
      'while t:b is held elsewhere it holds t:a and has not taken t:c',
    );

    await holder.commit();
    await locking;
    t.deepEqual(
      (await locksOf(db, waiterPid, ['t:a', 't:b', 't:c'])).map((row) => `${row.name} ${row.granted}`),
      ['t:a true', 't:b true', 't:c true'],
      'then it holds all three',
    );
    t.equal(statements.length, 1, 'in one statement');
    await waiter.commit();
    t.deepEqual(await locksOf(db, waiterPid, ['t:a', 't:b', 't:c']), [], 'released at the commit');
  },
);

scopedTest('advisory locks: per schema, the key names the schema; none asked, no statement', async (t, scope) => {
  const { databaseUrl } = await freshDatabases();
  const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 2 }), (d) => d.destroy());
  await db.transaction(async (trx) => {
    const statements: string[] = [];
    trx.on('query', (query: { sql: string }) => statements.push(query.sql));
    await lockEachInOrder(trx, { prefix: 't:', perSchema: true }, []);
    t.equal(statements.length, 0, 'no keys: nothing sent');
    await lockEachInOrder(trx, { prefix: 't:', perSchema: true }, ['x']);
    const pid = await backendPid(trx);
    const schema = (await trx.raw<{ rows: Array<{ name: string }> }>('SELECT current_schema() AS name')).rows[0]!.name;
    t.deepEqual(
      (await locksOf(db, pid, [`t:${schema}:x`, 't:x'])).map((row) => row.name),
      [`t:${schema}:x`],
      'the lock is on prefix, schema and key',
    );
  });
});
