import { nextLink } from '../../src/audit/canonical.ts';
import { formatReport } from '../../src/audit/index.ts';
import { readRecordsAt } from '../../src/message-queries/audit-records.ts';
import { uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { chainedStore, linkRows } from './audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const kindsAndPositions = (problems: readonly { kind: string; globalPosition: number }[]) =>
  problems.map((problem) => [problem.kind, problem.globalPosition]);

scopedTest('link predecessors: each link names the one before it, 0 for the first', async (t, scope) => {
  const { db, positions } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 5));
  const rows = await db('audit_chain_links')
    .orderBy('global_position')
    .select<Array<{ previous_global_position: string }>>('previous_global_position');
  t.deepEqual(
    rows.map((row) => Number(row.previous_global_position)),
    [0, ...positions.slice(0, -1)],
  );
});

scopedTest(
  'link predecessors: a message deleted together with its link row is named as deleted, and the next one is not blamed',
  async (t, scope) => {
    const { db, admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    const deleted = positions[6]!;
    await admin.query('DELETE FROM message_store.messages WHERE global_position = $1', [deleted]);
    await db('audit_chain_links').where({ global_position: deleted }).del();

    const report = await verify();
    t.notOk(report.ok);
    t.deepEqual(
      kindsAndPositions(report.problems),
      [['deleted', deleted]],
      `deleted ${deleted}, not altered ${positions[7]}`,
    );
    t.deepEqual(
      [report.first.deleted?.messageId, report.first.deleted?.deletedFrom],
      [null, positions[5]! + 1],
      'which message the chain no longer knows; the run may begin after the last link kept',
    );
    t.match(
      formatReport(report),
      new RegExp(`first deleted +global position ${deleted}: deleted from the store with its link`),
      'and says so',
    );
  },
);

scopedTest(
  'link predecessors: a link row deleted alone leaves its message named as inserted, and the chain goes on through it',
  async (t, scope) => {
    const { db, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 8),
    );
    await db('audit_chain_links').where({ global_position: positions[5]! }).del(); // no head there
    const report = await verify();
    t.deepEqual(
      kindsAndPositions(report.problems),
      [['inserted', positions[5]]],
      'only that message, not a deletion, not the one after it',
    );
  },
);

scopedTest(
  'link predecessors: a message and a link row put into a gap are named as inserted, not the message after them as altered',
  async (t, scope) => {
    let gap = 0;
    const { db, pool, admin, verify } = await chainedStore(scope, async (pool, store) => {
      await writeMany(store, uniqueCategory(), 2);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT write_message(gen_random_uuid()::text, 'rolledBack-1', 'Nothing', '{}')`);
        gap = Number(
          (await client.query<{ last_value: string }>('SELECT last_value FROM messages_global_position_seq')).rows[0]
            ?.last_value,
        );
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await writeMany(store, uniqueCategory(), 2);
    });
    await admin.query(
      `INSERT INTO message_store.messages (global_position, position, stream_name, type, data, metadata) VALUES ($1, 0, 'backdated-1', 'Backdated', '{}', '{}')`,
      [gap],
    );
    // A careful attacker chains it in with the public recipe, naming the right predecessor.
    const before = (await linkRows(db)).filter((row) => Number(row.global_position) < gap).at(-1)!;
    const [record] = await readRecordsAt(pool, [gap]);
    await db('audit_chain_links').insert({
      global_position: gap,
      message_id: record!.id,
      stream_name: record!.streamName,
      position: 0,
      link: nextLink(before.link, record!),
      previous_global_position: before.global_position,
    });
    const report = await verify();
    t.deepEqual(
      kindsAndPositions(report.problems),
      [['inserted', gap]],
      'the link after the gap names its real predecessor: the row put in is found',
    );
  },
);

scopedTest('link predecessors: links made before the column existed (NULL) still verify', async (t, scope) => {
  const { db, verify, positions } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 6));
  await db('audit_chain_links')
    .where('global_position', '<=', positions[3]!)
    .update({ previous_global_position: null });
  const report = await verify();
  t.deepEqual([report.ok, report.verdict, report.linksChecked, report.problems], [true, 'intact', 6, []]);
});
