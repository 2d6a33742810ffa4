import { randomUUID } from 'node:crypto';
import { adminActionsStreamName } from '../../src/contracts/admin-actions.ts';
import { auditChainState, recordVerification, type Verifier } from '../../src/audit/index.ts';
import { uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { chainedStore, drainChain } from './audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const verifier = (): Verifier => ({
  adminId: randomUUID(),
  userId: null,
  label: 'cli:ann@audit-host',
  traceId: randomUUID(),
});

scopedTest(
  'verification record: a verification is written as AuditChainVerified, read back as the last verification, and chained like any message',
  async (t, scope) => {
    const { store, pool, db, positions, verify, chain } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 6),
    );
    t.equal((await auditChainState({ db, messageStorePool: pool })).lastVerification, null, 'never verified yet');

    const who = verifier();
    const report = await verify();
    await recordVerification(store, who, report);
    const [written] = await store.readStream(adminActionsStreamName(who.adminId));
    t.deepEqual(
      [written?.type, written?.metadata.traceId, written?.metadata.userId],
      ['AuditChainVerified', who.traceId, null],
      "in the verifier's adminActions stream, with the trace",
    );

    const state = await auditChainState({ db, messageStorePool: pool });
    t.equal(state.chainHead?.globalPosition, positions.at(-1));
    t.equal(state.lastSignedHead?.globalPosition, positions.at(-1));
    t.equal(state.unsignedLinks, 0);
    const last = state.lastVerification;
    t.ok(
      last?.readable && last.at instanceof Date && Math.abs(last.at.getTime() - Date.now()) < 60_000,
      "when (the message's time, as UTC)",
    );
    if (last?.readable) {
      t.deepEqual(
        [
          last.by,
          last.ok,
          last.verdict,
          last.upTo,
          last.lastValidHead,
          last.messages,
          last.firstProblem,
          last.globalPosition,
        ],
        [who.label, true, 'intact', positions.at(-1), positions.at(-1), 6, null, written?.globalPosition],
        'by whom, the outcome, up to where',
      );
    }

    await drainChain(chain);
    const again = await verify();
    t.deepEqual([again.ok, again.linksChecked], [true, 7], 'the record is itself covered by the chain');
  },
);

scopedTest('verification record: a failed verification names its first problem and counts', async (t, scope) => {
  const { store, pool, db, admin, positions, verify } = await chainedStore(scope, (_pool, store) =>
    writeMany(store, uniqueCategory(), 6),
  );
  await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [positions[1]]);
  await recordVerification(store, verifier(), await verify());
  const last = (await auditChainState({ db, messageStorePool: pool })).lastVerification;
  t.ok(last?.readable);
  if (last?.readable) {
    t.deepEqual([last.ok, last.verdict, last.problems.altered], [false, 'failed', 1]);
    t.match(
      last.firstProblem ?? '',
      new RegExp(`^altered at global position ${positions[1]} \\(test\\w+-[\\w-]+/0\\)$`),
    );
  }
});
