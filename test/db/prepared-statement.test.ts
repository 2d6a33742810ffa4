import { createVideoQueries } from '../../src/app/videos/queries.ts';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { preparedRaw } from '../../src/db/prepared-statement.ts';
import { seedSearchableVideo } from '../fixtures/search-videos.ts';
import { freshDatabases } from '../helpers/databases.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// A prepared statement fixes the types of the columns it returns. A migration that changes one
// (run by another process while this one's connections keep the statement) would make every
// later run fail with "cached plan must not change result type", until the connection closed.

scopedTest(
  'prepared statements: a column type changed under a kept statement renames it, and the read goes on',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const other = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const videoId = await seedSearchableVideo(db, { title: 'Zeppelin history' });
    const videos = createVideoQueries(db);
    t.ok(await videos.video(videoId), 'read once: the statement is kept on the connection');
    await other.raw('ALTER TABLE videos ALTER COLUMN duration_seconds TYPE numeric');
    t.ok(await videos.video(videoId), 'read after the change: renamed, parsed again');
    t.ok(await videos.video(videoId), 'and again, under its new name');
    const kept = await db.raw<{ rows: Array<{ name: string }> }>(
      `SELECT name FROM pg_prepared_statements WHERE name LIKE 'vt\\_%' ORDER BY name`,
    );
    t.equal(kept.rows.length, 2, 'the old name left unused beside the new one');
  },
);

scopedTest(
  'prepared statements: any other error is the caller’s, and the statement runs after it',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    const sql = 'SELECT 1 / ?::int AS quotient';
    const error = await preparedRaw(db, sql, [0]).then(
      () => undefined,
      (failure: unknown) => failure as { code?: string },
    );
    t.equal(error?.code, '22012', 'division by zero: thrown, not retried');
    t.deepEqual(await preparedRaw(db, sql, [2]), [{ quotient: 0 }], 'the same statement, other values');
  },
);

scopedTest(
  'prepared statements: requests failing at once on a changed column rename it once; in a transaction the error is the caller’s',
  async (t, scope) => {
    const { databaseUrl } = await freshDatabases();
    const db = scope.add(createAppDatabase(databaseUrl, { poolMax: 4 }), (d) => d.destroy());
    const other = scope.add(createAppDatabase(databaseUrl, { poolMax: 1 }), (d) => d.destroy());
    await other.raw('CREATE TABLE probe (id int PRIMARY KEY, amount int NOT NULL)');
    await other.raw('INSERT INTO probe VALUES (1, 10)');
    const sql = 'SELECT amount FROM probe WHERE id = ? AND pg_sleep(0.05) IS NOT NULL';
    const four = () => Promise.all([1, 2, 3, 4].map(() => preparedRaw<{ amount: unknown }>(db, sql, [1])));
    // The pool opens its four connections first: were one still opening while the others ran, a
    // request could finish and its connection serve another, and one connection would never keep
    // the statement (on a slow machine the transaction below then found no stale statement).
    const opened = await Promise.all([1, 2, 3, 4].map(() => db.client.acquireConnection()));
    await Promise.all(opened.map((connection) => db.client.releaseConnection(connection)));
    await four(); // Four at once, on four open connections: each keeps the statement.
    await other.raw('ALTER TABLE probe ALTER COLUMN amount TYPE numeric');
    t.deepEqual(
      (await four()).map((rows) => rows[0]?.amount),
      ['10', '10', '10', '10'],
      'all four read the changed column',
    );
    const names = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const connection = await db.client.acquireConnection();
        try {
          const result = await connection.query(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM probe%' ORDER BY name",
          );
          return (result.rows as Array<{ name: string }>).map((row) => row.name.replace(/^vt_[^_]+/, ''));
        } finally {
          await db.client.releaseConnection(connection);
        }
      }),
    );
    t.deepEqual(
      names,
      [1, 2, 3, 4].map(() => ['', '_1']),
      'renamed once: each connection keeps the old name and the one new name',
    );
    await other.raw('ALTER TABLE probe ALTER COLUMN amount TYPE bigint');
    const failure = await db
      .transaction((trx) => preparedRaw(trx, sql, [1]))
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string },
      );
    t.equal(
      failure?.code,
      '0A000',
      'in a transaction: the type change is thrown, not a retry in the aborted transaction',
    );
    const again = await db.transaction((trx) => preparedRaw<{ amount: unknown }>(trx, sql, [1]));
    t.equal(String(again[0]?.amount), '10', 'the transaction run again finds the statement renamed');
  },
);
