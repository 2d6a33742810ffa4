import { randomBytes } from 'node:crypto';
import { GENESIS_LINK, nextLink } from '../../src/audit/canonical.ts';
import { verifyAuditChain } from '../../src/audit/index.ts';
import { readRecordsAfter } from '../../src/message-queries/audit-records.ts';
import { uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { chainedStore, drainChain, headRows, linkRows } from '../audit/audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  "audit chain: Message DB's role may neither UPDATE nor DELETE a message; only a superuser can",
  async (t, scope) => {
    const { pool, admin, positions } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 2),
    );
    for (const statement of [
      `UPDATE messages SET data = '{}' WHERE global_position = $1`,
      'DELETE FROM messages WHERE global_position = $1',
    ]) {
      const refused = await pool.query(statement, [positions[0]]).then(
        () => undefined,
        (error: { code?: string }) => error.code,
      );
      t.equal(refused, '42501', `the app's connection (role message_store) is refused: ${statement.split(' ')[0]}`);
    }
    const updated = await admin.query(`UPDATE message_store.messages SET data = '{}' WHERE global_position = $1`, [
      positions[0],
    ]);
    t.equal(updated.rowCount, 1, 'a superuser can, which is what the chain is for');
  },
);

scopedTest(
  'audit chain: verify names a message altered with SQL and another deleted, and only those',
  async (t, scope) => {
    const { admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    const [altered, deleted] = [positions[3]!, positions[8]!];
    const deletedRow = await admin.query<{ id: string; stream_name: string }>(
      'SELECT id::text, stream_name FROM message_store.messages WHERE global_position = $1',
      [deleted],
    );
    await admin.query(
      `UPDATE message_store.messages SET data = jsonb_set(data, '{n}', '99') WHERE global_position = $1`,
      [altered],
    );
    await admin.query('DELETE FROM message_store.messages WHERE global_position = $1', [deleted]);

    const report = await verify();
    t.notOk(report.ok, 'not intact');
    t.equal(report.first.altered?.globalPosition, altered, 'the altered message is named');
    t.deepEqual(
      [report.first.deleted?.globalPosition, report.first.deleted?.messageId, report.first.deleted?.streamName],
      [deleted, deletedRow.rows[0]?.id, deletedRow.rows[0]?.stream_name],
      'the deleted one too, by the id and stream the chain kept',
    );
    t.deepEqual(
      report.problems.map((problem) => [problem.kind, problem.globalPosition]),
      [
        ['altered', altered],
        ['deleted', deleted],
      ],
      'nothing else is blamed',
    );
    t.equal(report.heads.valid, report.heads.checked, 'the heads still vouch for the links');
  },
);

scopedTest(
  'audit chain: changes the parsed message would hide are caught (a metadata key the app does not read, a digit past a double, a microsecond)',
  async (t, scope) => {
    const { admin, positions, verify } = await chainedStore(scope, async (pool) => {
      // Written as SQL text, so the number keeps digits a JavaScript number would lose.
      await pool.query(
        `SELECT write_message(gen_random_uuid()::text, 'ledger-1', 'Paid', '{"amount": 12345678901234567890}', '{"approvedBy": "ann"}')`,
      );
      await pool.query(`SELECT write_message(gen_random_uuid()::text, 'ledger-1', 'Paid', '{"amount": 1}', '{}')`);
      await pool.query(`SELECT write_message(gen_random_uuid()::text, 'ledger-1', 'Paid', '{"amount": 2}', '{}')`);
    });
    const [first, second, third] = positions;
    await admin.query(
      `UPDATE message_store.messages SET metadata = '{"approvedBy": "bob"}' WHERE global_position = $1`,
      [first],
    );
    await admin.query(
      `UPDATE message_store.messages SET time = time + interval '1 microsecond' WHERE global_position = $1`,
      [second],
    );
    await admin.query(
      `UPDATE message_store.messages SET data = '{"amount": 12345678901234567891}' WHERE global_position = $1`,
      [third],
    );
    // The third now parses to the same double as the first did: only the text tells them apart.
    t.equal(
      JSON.parse('{"a": 12345678901234567891}').a,
      JSON.parse('{"a": 12345678901234567890}').a,
      '(the two amounts are one double)',
    );
    const report = await verify();
    t.deepEqual(
      report.problems.map((problem) => [problem.kind, problem.globalPosition]),
      [
        ['altered', first],
        ['altered', second],
        ['altered', third],
      ],
      'all three are altered',
    );
  },
);

scopedTest(
  "audit chain: a message put into a gap below the chain's head is named as inserted, and the chain does not take it in",
  async (t, scope) => {
    let gap = 0;
    const { db, admin, positions, verify, chain } = await chainedStore(scope, async (pool, store) => {
      await writeMany(store, uniqueCategory(), 2);
      // A rolled-back write leaves a hole in the global positions.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT write_message(gen_random_uuid()::text, 'rolledBack-1', 'Nothing', '{}')`);
        const drawn = await client.query<{ last_value: string }>('SELECT last_value FROM messages_global_position_seq');
        gap = Number(drawn.rows[0]?.last_value);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await writeMany(store, uniqueCategory(), 2);
    });
    t.notOk(positions.includes(gap), `position ${gap} is a gap`);
    await admin.query(
      `INSERT INTO message_store.messages (global_position, position, stream_name, type, data, metadata)
     VALUES ($1, 0, 'backdated-1', 'Backdated', '{}', '{}')`,
      [gap],
    );
    await drainChain(chain);
    const report = await verify();
    t.deepEqual(
      report.problems.map((problem) => [problem.kind, problem.globalPosition]),
      [['inserted', gap]],
      'named as inserted',
    );
    t.equal(report.first.inserted?.streamName, 'backdated-1');
    t.notOk(
      (await linkRows(db)).some((row) => Number(row.global_position) === gap),
      'the chain, already past it, left it out',
    );
  },
);

scopedTest('audit chain: a forged head, or a key that signed none of them, fails verification', async (t, scope) => {
  const { db, pool, verify } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 10));
  const heads = await headRows(db);
  const target = Number(heads[1]?.global_position);
  await db('audit_chain_heads')
    .where({ global_position: target })
    .update({ hmac: randomBytes(32) });
  const report = await verify();
  t.notOk(report.ok);
  t.deepEqual(
    report.problems.map((problem) => [problem.kind, problem.globalPosition]),
    [['forged', target]],
    'the forged head is named',
  );

  const otherKey = await verifyAuditChain({
    db,
    messageStorePool: pool,
    auditKey: 'another key of thirty-two characters or more',
  });
  t.equal(otherKey.counts['unknown-key'], heads.length, 'with another key, no head is vouched for');
  t.notOk(otherKey.ok);
});

scopedTest(
  'audit chain: a chain recomputed over an altered store (no key needed for that) is contradicted by the heads signed before',
  async (t, scope) => {
    const { db, pool, admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 10),
    );
    const altered = positions[2]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    // The attacker rewrites every link from there with the public recipe.
    const previous = await db('audit_chain_links')
      .where('global_position', '<', altered)
      .orderBy('global_position', 'desc')
      .first<{ link: Buffer } | undefined>('link');
    let link = previous?.link ?? GENESIS_LINK;
    for (const record of await readRecordsAfter(pool, altered - 1, Number.MAX_SAFE_INTEGER, 100)) {
      link = nextLink(link, record);
      await db('audit_chain_links')
        .where({ global_position: Number(record.globalPosition) })
        .update({ link });
    }
    const report = await verify();
    t.equal(report.counts.altered, 0, 'message by message, the rewritten chain agrees with the store');
    const signedFromThere = (await headRows(db)).filter((head) => Number(head.global_position) >= altered).length;
    t.ok(
      signedFromThere > 0 && report.counts.contradicted === signedFromThere,
      `but all ${signedFromThere} heads signed from there contradict it`,
    );
    t.notOk(report.ok, 'so verification fails');

    await db('audit_chain_links').where('global_position', '>', positions[4]!).del();
    const truncated = await verify();
    t.ok(
      truncated.notYetCovered === 5 &&
        truncated.problems.some(
          (problem) => problem.kind === 'contradicted' && problem.globalPosition === positions[9],
        ),
      'cutting the links short leaves the newest head pointing at nothing',
    );
  },
);
