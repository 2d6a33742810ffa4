import type { DatabaseUrls } from '../../src/config/env.ts';
import { DEVELOPMENT_AUDIT_KEY, lastVerification, type AuditReport } from '../../src/audit/index.ts';
import { openTestStore, uniqueCategory, writeMany } from '../helpers/message-store.ts';
import { operatorEnv, runCli, type CliResult } from '../helpers/run-cli.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import {
  AUDIT_KEY,
  auditChain,
  chainedStore,
  drainChain,
  globalPositions,
  recomputeLinksFrom,
  superuser,
} from './audit-fixtures.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

/** `npm run audit:verify -- <args>` as an operator runs it: no .env, only the settings given. */
function runVerify(args: readonly string[], settings: Record<string, string>): Promise<CliResult> {
  return runCli('src/bin/audit-verify.ts', args, operatorEnv(settings));
}

const databaseEnv = (urls: DatabaseUrls) => ({
  DATABASE_URL: urls.databaseUrl,
  MESSAGE_STORE_URL: urls.messageStoreUrl,
});

scopedTest('audit:verify CLI: exits 0 on an intact store, 1 after tampering, naming the message', async (t, scope) => {
  const { store, pool, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  await writeMany(store, uniqueCategory(), 20);
  await drainChain(scope.running(auditChain({ store, pool, db }).subscription));
  const settings = { ...databaseEnv(urls), AUDIT_KEY };

  const intact = await runVerify([], settings);
  t.equal(intact.code, 0, `intact: exit 0 ${intact.stderr}`);
  t.match(intact.stdout, /^Audit chain: INTACT\n/, 'says so first');
  t.match(intact.stdout, /checked +20 messages/);
  t.equal(intact.stderr, '', 'no progress bar when stderr is not a terminal, no warnings');

  const altered = (await globalPositions(pool))[6]!;
  const admin = await superuser(scope, urls.messageStoreUrl);
  await admin.query(`UPDATE message_store.messages SET data = '{"n": -1}' WHERE global_position = $1`, [altered]);
  const tampered = await runVerify([], settings);
  t.equal(tampered.code, 1, 'tampered: exit 1');
  t.match(tampered.stdout, /^Audit chain: FAILED \(1 problem\)/);
  t.match(tampered.stdout, new RegExp(`first altered +global position ${altered}: `), 'names the altered message');

  const json = await runVerify(['--json'], settings);
  const report = JSON.parse(json.stdout) as AuditReport;
  t.deepEqual(
    [json.code, report.ok, report.first.altered?.globalPosition],
    [1, false, altered],
    '--json prints the report',
  );

  const wrongKey = await runVerify([], {
    ...databaseEnv(urls),
    AUDIT_KEY: 'not the key that signed these heads, though long',
  });
  t.equal(wrongKey.code, 1, 'another key: exit 1');
  t.match(wrongKey.stdout, /with an unknown key/);
});

scopedTest(
  'audit:verify CLI: heads deleted after links were recomputed over an altered message: FAILED, exit 1, saying why',
  async (t, scope) => {
    const { db, pool, admin, positions, urls } = await chainedStore(scope, (_pool, store) =>
      writeMany(store, uniqueCategory(), 12),
    );
    const settings = { ...databaseEnv(urls), AUDIT_KEY };
    const altered = positions[2]!;
    await admin.query(`UPDATE message_store.messages SET data = '{"n": 99}' WHERE global_position = $1`, [altered]);
    await recomputeLinksFrom(db, pool, altered);
    await db('audit_chain_heads').where('global_position', '>=', altered).del();

    const result = await runVerify([], settings);
    t.equal(result.code, 1, 'exit 1');
    t.match(result.stdout, /^Audit chain: FAILED \(1 problem\)\n/, 'not INTACT');
    t.match(
      result.stdout,
      /UNSIGNED +12 links from global position \d+ and no valid signed head at all: heads were deleted or altered/,
      'and why',
    );
    t.doesNotMatch(result.stdout, /INTACT/);
  },
);

scopedTest(
  'audit:verify CLI: heads signed with the development key are consistent, not proven: said plainly, never INTACT (exit 0, development use goes on)',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeMany(store, uniqueCategory(), 6);
    await drainChain(scope.running(auditChain({ store, pool, db }, { auditKey: DEVELOPMENT_AUDIT_KEY }).subscription));

    const development = await runVerify([], databaseEnv(urls));
    t.equal(development.code, 0, `exit 0: nothing wrong was found ${development.stderr}`);
    t.match(
      development.stdout,
      /^Audit chain: CONSISTENT, NOT PROVEN \(heads signed with the public development key prove nothing: anyone can re-sign a rewritten chain; set AUDIT_KEY\)\n/,
      'the verdict says it',
    );
    t.doesNotMatch(development.stdout, /INTACT/, 'never INTACT');
    t.match(development.stdout, /last verified +head at \d+, signed \S+ with the development key/);
    t.match(development.stderr, /AUDIT_KEY is not set/);
    const report = JSON.parse((await runVerify(['--json'], databaseEnv(urls))).stdout) as AuditReport;
    t.deepEqual(
      [report.ok, report.verdict, report.heads.lastValid?.developmentKey],
      [true, 'unproven', true],
      '--json: verdict unproven',
    );

    const realKey = await runVerify([], { ...databaseEnv(urls), AUDIT_KEY });
    t.equal(realKey.code, 1, 'with a real key the same heads are not accepted');
    t.match(realKey.stdout, /with an unknown key/);
  },
);

scopedTest(
  'audit:verify CLI: records its outcome as AuditChainVerified; when the store takes no write, still prints the result and its exit code',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    await writeMany(store, uniqueCategory(), 5);
    await drainChain(scope.running(auditChain({ store, pool, db }).subscription));
    const settings = { ...databaseEnv(urls), AUDIT_KEY };

    const recorded = await runVerify([], settings);
    t.equal(recorded.code, 0, recorded.stderr);
    const last = await lastVerification(pool);
    t.ok(
      last?.readable && last.by.startsWith('cli:') && last.by.includes('@'),
      `by the OS account: ${last?.readable ? last.by : ''}`,
    );
    if (last?.readable)
      t.deepEqual(
        [last.ok, last.verdict, last.upTo, last.messages],
        [true, 'intact', (await globalPositions(pool))[4], 5],
        'the outcome and up to where',
      );
    const again = await runVerify(['--json'], settings);
    const newer = await lastVerification(pool);
    t.ok(again.code === 0 && newer && last && newer.globalPosition > last.globalPosition, '--json records too');

    // The store refuses admin actions (as it would a write while unreachable, or to a read-only role).
    const admin = await superuser(scope, urls.messageStoreUrl);
    await admin.query(
      `CREATE FUNCTION message_store.refuse_admin_actions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'writes refused for this test'; END $$`,
    );
    await admin.query(
      `CREATE TRIGGER refuse_admin_actions BEFORE INSERT ON message_store.messages FOR EACH ROW WHEN (NEW.stream_name LIKE 'adminActions-%') EXECUTE FUNCTION message_store.refuse_admin_actions()`,
    );
    const refused = await runVerify([], settings);
    t.equal(refused.code, 0, "the exit code is the verification's");
    t.match(refused.stdout, /^Audit chain: INTACT\n/, 'the result is printed');
    t.match(
      refused.stderr,
      /Warning: the result above was not recorded as AuditChainVerified \(the dashboard will not show it\): writes refused for this test/,
      'and the failure to record it said',
    );
    t.equal((await lastVerification(pool))?.globalPosition, newer?.globalPosition, 'nothing recorded');
  },
);

scopedTest(
  'audit:verify CLI: production without AUDIT_KEY refuses to run; bad usage exits 2; the development key is named as such',
  async (t, scope) => {
    const { urls } = await openTestStore(scope);
    const production = await runVerify([], { ...databaseEnv(urls), NODE_ENV: 'production' });
    t.equal(production.code, 1);
    t.match(production.stderr, /Configuration error: AUDIT_KEY is missing/);

    const usage = await runVerify(['--fix'], { ...databaseEnv(urls), AUDIT_KEY });
    t.equal(usage.code, 2);
    t.match(usage.stderr, /usage: npm run audit:verify/);

    const development = await runVerify([], databaseEnv(urls));
    t.equal(development.code, 0, 'an empty store verifies');
    t.match(development.stderr, /AUDIT_KEY is not set/, 'with a warning about the key');
  },
);
