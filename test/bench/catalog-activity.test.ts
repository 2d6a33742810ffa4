import test from 'tape';
import { planCatalog } from '../../bench/catalog/generate.ts';
import { inLockOrder, seedCatalog } from '../../bench/catalog/write.ts';
import { createMessageStorePool } from '../../src/message-store/index.ts';
import { freshDatabases, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

// Found seeding the 10m profile: three writers of log-ins and renames side by side deadlocked on
// Message DB's category locks, each statement having met the two categories in its own order.
test('bench catalog: log-ins and renames written by several writers at once take the category locks in one order', async (t) => {
  const plan = planCatalog('activity-test', {
    videos: 40,
    creators: 20,
    viewings: 0,
    playback: 0,
    logins: 3_000,
    renames: 3_000,
  });
  const urls = await freshDatabases();
  const phases = await seedCatalog(plan, { urls, logger: silentLogger, batchSize: 50, writers: 3 });
  t.deepEqual(
    phases.find((phase) => phase.phase === 'activity')?.messages,
    6_000,
    'every log-in and rename written, none lost to a deadlock',
  );
  const pool = createMessageStorePool(urls.messageStoreUrl, { logger: silentLogger, max: 1 });
  closeAtEnd(t, () => pool.end());
  const { rows } = await pool.query<{ type: string; count: string }>(
    `SELECT type, count(*) FROM messages WHERE type IN ('UserLoggedIn', 'VideoNamed') GROUP BY type ORDER BY type`,
  );
  t.deepEqual(
    rows.map((row) => [row.type, Number(row.count)]),
    [
      ['UserLoggedIn', 3_000],
      // Every video is named once when published; the renames come on top.
      ['VideoNamed', 40 + 3_000],
    ],
    'in the store',
  );
});

test('bench catalog: a statement meets its categories in name order, each stream in its own order', (t) => {
  const planned = (stream: string, id: string) => ({
    stream,
    message: { id, type: 'T', data: {}, metadata: { traceId: id, userId: null } },
  });
  const ordered = inLockOrder([
    planned('videoPublishing-a', '1'),
    planned('authentication-x', '2'),
    planned('videoPublishing-a', '3'),
    planned('authentication-y', '4'),
    planned('authentication-x', '5'),
  ]);
  t.deepEqual(
    ordered.map((each) => each.message.id),
    ['2', '4', '5', '1', '3'],
    'authentication before videoPublishing; within each, the order given',
  );
  t.end();
});
