import { uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { capturingLogger } from '../fixtures/identity-controls.ts';
import { auditChain, chainedStore, headRows, recomputeLinksFrom } from './audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const HOUR = 3_600_000;
const hoursFromNow = (hours: number) => () => new Date(Date.now() + hours * HOUR);

// The attack the heads are there for, carried through: alter a message as the superuser,
// recompute the links from it with the public recipe (so each agrees with the store), and
// delete the signed heads that would contradict the new links.

scopedTest(
  'unsigned tail: a message altered, its links recomputed and every head deleted fails (no valid head), not INTACT',
  async (t, scope) => {
    const { db, pool, admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    t.equal((await headRows(db)).length, 3, '(a head every 4 links)');
    const altered = positions[2]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();

    const report = await verify();
    t.deepEqual(
      [report.counts.altered, report.heads.checked, report.unsignedLinks],
      [0, 0, 12],
      'message by message the chain agrees, and no head is left',
    );
    t.deepEqual([report.ok, report.verdict], [false, 'failed'], 'yet verification fails');
    t.deepEqual(
      [report.tail.status, report.tail.reason, report.tail.from, report.tail.links],
      ['unsigned', 'no-valid-head', positions[0], 12],
    );
    t.deepEqual(
      report.problems.map((problem) => [problem.kind, problem.globalPosition]),
      [['unsigned', positions[0]]],
      'the unsigned tail is the problem named',
    );
  },
);

scopedTest(
  'unsigned tail: heads deleted from the altered message on leave a tail longer, or older, than the signer ever leaves',
  async (t, scope) => {
    const { db, pool, admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    const altered = positions[5]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();

    // By the default policy (1 000 links or 60 s) the signer may simply not have reached a
    // tail of 8 links signed a moment ago: that window is what the chain cannot close alone.
    const fresh = await verify();
    t.deepEqual(
      [fresh.heads.lastValid?.globalPosition, fresh.tail.from, fresh.tail.links],
      [positions[3], positions[4], 8],
      'the last valid head is the one before the change',
    );
    t.deepEqual([fresh.ok, fresh.tail.status], [true, 'pending'], 'within the policy: pending, and said so');

    const tooMany = await verify({ signing: { everyMessages: 4 } });
    t.deepEqual(
      [tooMany.ok, tooMany.tail.status, tooMany.tail.reason],
      [false, 'unsigned', 'too-many'],
      'signing every 4 links, 8 unsigned links mean heads were deleted',
    );

    const later = await verify({ now: hoursFromNow(2) });
    t.deepEqual(
      [later.ok, later.tail.status, later.tail.reason],
      [false, 'unsigned', 'overdue'],
      'two hours on, the signer would have signed them: overdue',
    );
    t.ok(
      later.tail.lastHeadAgeMs !== null && later.tail.lastHeadAgeMs > HOUR,
      "the age is the last valid head's signed time",
    );
  },
);

scopedTest(
  'unsigned tail: an untouched chain whose tip is signed stays INTACT however old its last head',
  async (t, scope) => {
    const { verify, positions } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 6));
    const report = await verify({ now: hoursFromNow(24 * 30) });
    t.deepEqual(
      [report.ok, report.verdict, report.tail.status, report.heads.lastValid?.globalPosition],
      [true, 'intact', 'signed', positions.at(-1)],
      'nothing unsigned, nothing overdue',
    );
  },
);

scopedTest(
  'unsigned tail: a running aggregator neither signs nor extends a chain rewritten under it, so the rewrite stays unsigned and verify fails',
  async (t, scope) => {
    const { db, pool, store, admin, positions, verify, chain } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    const altered = positions[5]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();
    const heads = await headRows(db);

    await chain.tick(); // caught up: the signer would sign the tip now (the fixture signs on every catch-up)
    t.deepEqual(await headRows(db), heads, 'the recomputed tip is not signed');
    await writeMany(store, uniqueCategory(), 1);
    const extended = await chain.tick().then(
      () => 'went on',
      (error: unknown) => String(error),
    );
    t.equal(
      await db('audit_chain_links')
        .count<{ count: string }[]>('* as count')
        .then((rows) => Number(rows[0]?.count)),
      12,
      'nor extended',
    );
    t.match(
      extended,
      /ChainRewrittenError: .*links were rewritten or removed while the chain ran/,
      'it stalls, saying why',
    );

    const report = await verify({ now: hoursFromNow(1) });
    t.deepEqual([report.ok, report.tail.reason], [false, 'overdue'], 'and verify fails the tail no head vouches for');
  },
);

scopedTest(
  'unsigned tail: on a quiet site the refusal to sign a rewritten chain is logged once, not at every catch-up',
  async (t, scope) => {
    const {
      db,
      pool,
      store,
      admin,
      positions,
      chain: first,
    } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 8));
    await first.stop();
    const { logger, lines } = capturingLogger();
    // Another aggregator, started on the stored chain, learns its tip; then the chain is rewritten under it.
    const chain = scope.running(
      auditChain({ store, pool, db }, { batchSize: 4, signing: { everyMessages: 4, onCatchUpAfterMs: 0 }, logger })
        .subscription,
    );
    await chain.tick();
    const altered = positions[3]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();
    for (let n = 0; n < 5; n += 1) await chain.tick();
    const refusals = lines()
      .split('\n')
      .filter((line) => line.includes('refused to sign the audit chain head'));
    t.equal(refusals.length, 1, 'five catch-ups, one error line');
  },
);

scopedTest(
  'unsigned tail: an aggregator trusts the stored tip from its start, so a rewrite before its first batch is refused',
  async (t, scope) => {
    const {
      db,
      pool,
      store,
      admin,
      positions,
      chain: first,
    } = await chainedStore(scope, (_pool, store) => writeMany(store, uniqueCategory(), 8));
    await first.stop(); // signs the tip: the head is young for the next start
    const hour = 3_600_000;
    const chain = scope.running(
      auditChain({ store, pool, db }, { signing: { everyMessages: 1000, maxAgeMs: hour, onCatchUpAfterMs: hour } })
        .subscription,
    );
    await chain.tick(); // started and caught up: no signature due, so no link read on catch-up
    const altered = positions[3]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();
    await writeMany(store, uniqueCategory(), 1);
    const extended = await chain.tick().then(
      () => 'went on',
      (error: unknown) => String(error),
    );
    t.match(extended, /ChainRewrittenError/, 'the first batch after the rewrite stalls, saying why');
    t.equal(
      await db('audit_chain_links')
        .count<{ count: string }[]>('* as count')
        .then((rows) => Number(rows[0]?.count)),
      8,
      'and the rewritten chain is not extended',
    );
  },
);
