import test from 'tape';
import { createAppDatabase } from '../../src/db/app-database.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

interface Settings {
  jit: string;
  idle_in_transaction_session_timeout: string;
}

const SHOW = `SELECT current_setting('jit') AS jit,
                     current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction_session_timeout`;

// Found on a store of ten million messages: JIT compiled index reads whose estimated cost had
// grown past jit_above_cost, 330 ms a query, and the admin dashboard took 1.8 s.
test('database sessions: both pools open their connections without JIT and with an idle-transaction limit', async (t) => {
  const urls = await freshDatabases();
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger: silentLogger, max: 1 });
  closeAtEnd(t, () => pool.end());
  const db = createAppDatabase(urls.databaseUrl, { logger: silentLogger, poolMax: 1 });
  closeAtEnd(t, () => db.destroy());
  const expected = { jit: 'off', idle_in_transaction_session_timeout: '1min' };
  t.deepEqual((await pool.query<Settings>(SHOW)).rows[0], expected, 'the message store pool');
  t.deepEqual((await db.raw<{ rows: Settings[] }>(SHOW)).rows[0], expected, 'the app database');
});
