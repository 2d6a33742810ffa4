import { AUDIT_CHAIN_SUBSCRIBER_ID } from '../../src/aggregators/audit-chain/index.ts';
import { verifyAuditChain } from '../../src/audit/index.ts';
import { openTestStore, uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { AUDIT_KEY, auditChain, drainChain, globalPositions, headRows, linkRows } from '../audit/audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'audit chain: one link per message of every category, in global order; the tip is signed; verify finds it intact',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [first, second] = [uniqueCategory('alpha'), uniqueCategory('beta')];
    for (let round = 0; round < 3; round += 1) {
      await writeMany(store, first, 2);
      await writeMany(store, second, 1);
    }
    const subscription = scope.running(auditChain({ store, pool, db }).subscription);
    await drainChain(subscription);
    const positions = await globalPositions(pool);
    t.deepEqual(
      (await linkRows(db)).map((row) => Number(row.global_position)),
      positions,
      'a link for each of the 9 messages',
    );
    t.equal(Number((await headRows(db)).at(-1)?.global_position), positions.at(-1), 'the newest link is signed');
    const intact = await verifyAuditChain({ db, messageStorePool: pool, auditKey: AUDIT_KEY });
    t.ok(intact.ok, 'verify: intact');
    t.equal(intact.linksChecked, 9);
    t.deepEqual(intact.problems, []);

    await writeMany(store, first, 4);
    await drainChain(subscription);
    t.equal((await linkRows(db)).length, 13, 'the chain grows with the store');
    const grown = await verifyAuditChain({ db, messageStorePool: pool, auditKey: AUDIT_KEY });
    t.deepEqual([grown.ok, grown.linksChecked, grown.notYetCovered], [true, 13, 0], 'and verifies again, all covered');
    t.equal(
      grown.heads.lastValid?.globalPosition,
      (await globalPositions(pool)).at(-1),
      'the last verified head is the tip',
    );
  },
);

scopedTest('audit chain: a replay from position 0 changes no link and signs nothing new', async (t, scope) => {
  const { store, pool, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await writeMany(store, uniqueCategory(), 12);
  await drainChain(scope.running(auditChain({ store, pool, db }, { batchSize: 5 }).subscription));
  const [links, heads] = [await linkRows(db), await headRows(db)];
  await db('subscriber_positions').where({ subscriber_id: AUDIT_CHAIN_SUBSCRIBER_ID }).update({ position: 0 });
  const replay = scope.running(auditChain({ store, pool, db }, { batchSize: 5 }).subscription);
  await drainChain(replay);
  t.equal(replay.status().position, (await globalPositions(pool)).at(-1), 'replayed to the end');
  t.deepEqual(await linkRows(db), links, 'links unchanged');
  t.deepEqual(await headRows(db), heads, 'heads unchanged');
});

scopedTest('audit chain: heads are signed every N links, and the tail when the subscriber stops', async (t, scope) => {
  const { store, pool, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await writeMany(store, uniqueCategory(), 25);
  const hour = 3_600_000;
  const { subscription } = auditChain(
    { store, pool, db },
    { batchSize: 10, signing: { everyMessages: 10, maxAgeMs: hour, onCatchUpAfterMs: hour } },
  );
  await drainChain(subscription);
  const positions = await globalPositions(pool);
  const signedAt = async () => (await headRows(db)).map((row) => Number(row.global_position));
  // The first batch signs at once (no head yet), the second after 10 more links; the last 5
  // wait: caught up, but the last head is younger than the catch-up interval.
  t.deepEqual(await signedAt(), [positions[9], positions[19]], 'signed after the 10th and 20th links');
  await subscription.stop();
  t.deepEqual(await signedAt(), [positions[9], positions[19], positions[24]], 'stopping signs the tail');
});
