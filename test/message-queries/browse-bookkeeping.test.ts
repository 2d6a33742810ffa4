import pg from 'pg';
import { browseMessages } from '../../src/message-queries/browse.ts';
import { CATEGORY_OF_ROW } from '../../src/message-store/index.ts';
import { POSITION_CATEGORY } from '../../src/subscription/component-processor.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// After a long catch-up, a component's checkpoints can be thousands of the newest messages (on
// the 10M store, 2,692 of the newest 3,000). The browser's newest page walks past them: checked
// with Message DB's PL/pgSQL category(), that walk was a function call a row.

/**
 * Calls of Message DB's category() while `use` runs, counted by PostgreSQL on a connection of
 * its own: as the server's superuser, the one role that may turn the counting on.
 */
async function categoryCalls(url: string, use: (connection: pg.Pool) => Promise<void>): Promise<number> {
  const client = new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL track_functions = 'pl'`);
    // browseMessages only sends queries, which a client in a transaction takes as a pool would.
    await use(client as unknown as pg.Pool);
    const result = await client.query<{ calls: string | null }>(
      `SELECT sum(calls) AS calls FROM pg_stat_xact_user_functions WHERE schemaname = 'message_store' AND funcname = 'category'`,
    );
    return Number(result.rows[0]?.calls ?? 0);
  } finally {
    await client.end(); // and with it, the transaction
  }
}

scopedTest(
  "message browser: the newest page passes a tail of checkpoints without calling Message DB's category() for each",
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const category = uniqueCategory();
    for (let n = 0; n < 60; n += 1) await store.write(`${category}-${n % 3}`, message('Happened', { n }));
    await pool.query(
      `SELECT write_message(gen_random_uuid()::text, $1 || '-' || $2 || n, 'Read', jsonb_build_object('position', n))
         FROM generate_series(1, 400) AS n`,
      [POSITION_CATEGORY, category],
    );

    let newest: Awaited<ReturnType<typeof browseMessages>> | undefined;
    const calls = await categoryCalls(urls.messageStoreUrl, async (connection) => {
      newest = await browseMessages(connection, { filters: {} });
    });
    const listed = newest?.messages ?? [];
    t.equal(listed.length, 50, 'a full page');
    t.ok(
      listed.every((m) => m.streamName.startsWith(`${category}-`)),
      'of the messages, with every checkpoint left out',
    );
    t.equal(listed[0]?.type, 'Happened', 'newest first');
    t.ok(calls < 10, `category() called ${calls} times for 400 checkpoints passed`);

    let all: Awaited<ReturnType<typeof browseMessages>> | undefined;
    await categoryCalls(urls.messageStoreUrl, async (connection) => {
      all = await browseMessages(connection, { filters: {}, showBookkeeping: true });
    });
    t.equal(all?.messages.length, 50, 'asked for, a full page');
    t.ok(
      all?.messages.every((m) => m.streamName.startsWith(`${POSITION_CATEGORY}-`)),
      'of the checkpoints, the newest messages',
    );
  },
);

scopedTest("message store: CATEGORY_OF_ROW is Message DB's category() for every shape of name", async (t, scope) => {
  const { pool } = await openTestStore(scope);
  const names = ['viewing-1', 'viewing', 'identity:command-a-b-c', 'account+position-x', '-lead', 'trail-', ''];
  const result = await pool.query<{ name: string; theirs: string; ours: string }>(
    `SELECT stream_name AS name, category(stream_name) AS theirs, ${CATEGORY_OF_ROW} AS ours
       FROM unnest($1::varchar[]) AS stream_name`,
    [names],
  );
  for (const { name, theirs, ours } of result.rows) t.equal(ours, theirs, JSON.stringify(name));
});
