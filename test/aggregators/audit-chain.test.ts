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

scopedTest(
  'audit chain: a batch and a catch-up with nothing to sign read nothing more of the chain than the tip the append needs',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const hour = 3_600_000;
    const { subscription } = auditChain(
      { store, pool, db },
      { signing: { everyMessages: 1000, maxAgeMs: hour, onCatchUpAfterMs: hour } },
    );
    const category = uniqueCategory();
    await writeMany(store, category, 3);
    await drainChain(subscription); // the first batch signs (no head yet)
    await writeMany(store, category, 2);
    await drainChain(subscription); // learns the head its first batch committed
    const statements: string[] = [];
    const onQuery = ({ sql }: { sql: string }) => {
      if (sql.includes('audit_chain')) statements.push(sql.trim().split(/\s+/).slice(0, 4).join(' '));
    };
    db.on('query', onQuery);
    scope.add(db, (knex) => knex.off('query', onQuery));
    await writeMany(store, category, 2);
    await drainChain(subscription);
    t.deepEqual(
      statements,
      ['select * from "audit_chain_links"', 'INSERT INTO audit_chain_links (global_position,'],
      'the tip read, the links written: no head, count or second tip read',
    );
    t.equal((await linkRows(db)).length, 7, 'every message linked');
  },
);

scopedTest(
  'audit chain: a head whose batch rolled back is not taken as signed: the batch applied again signs it',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const hour = 3_600_000;
    const { subscription } = auditChain(
      { store, pool, db },
      { signing: { everyMessages: 1000, maxAgeMs: hour, onCatchUpAfterMs: hour } },
    );
    await subscription.tick(); // makes the chain's tables
    // The first commit that holds a head fails at COMMIT, after the head was written in it.
    await db.raw('CREATE SEQUENCE head_commits');
    await db.raw(`CREATE FUNCTION fail_first_head_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('head_commits') = 1 THEN RAISE EXCEPTION 'injected: the commit of the first head fails'; END IF;
        RETURN NULL;
      END $$`);
    await db.raw(`CREATE CONSTRAINT TRIGGER fail_first_head_commit AFTER INSERT ON audit_chain_heads
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_first_head_commit()`);
    await writeMany(store, uniqueCategory(), 3);
    await drainChain(subscription);
    const commits = await db.raw<{ rows: Array<{ n: string }> }>('SELECT last_value AS n FROM head_commits');
    t.ok(Number(commits.rows[0]?.n) >= 2, 'the first commit with a head failed, and a head was written again');
    const positions = await globalPositions(pool);
    t.equal((await linkRows(db)).length, positions.length, 'every message linked, once');
    t.ok((await headRows(db)).length > 0, 'a head is signed without waiting for the stop');
  },
);
