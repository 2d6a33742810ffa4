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
