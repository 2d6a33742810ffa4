import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { liveSubscription } from '../../src/aggregators/definition.ts';
import { userCredentialsDefinition } from '../../src/aggregators/user-credentials/index.ts';
import { createIdentityComponent, createIdentityCommandSubscription } from '../../src/components/identity/index.ts';
import type { DatabaseUrls } from '../../src/config/env.ts';
import { createPersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { operatorEnv, runAdmin } from '../fixtures/identity-admin-cli.ts';
import { registerCommand, writeRegister } from '../fixtures/identity-controls.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

const urlEnv = (urls: DatabaseUrls) =>
  operatorEnv({ DATABASE_URL: urls.databaseUrl, MESSAGE_STORE_URL: urls.messageStoreUrl });

async function rolesOf(db: Knex, userId: string): Promise<string[] | undefined> {
  const row = await db('user_credentials').where({ user_id: userId }).first<{ roles: string[] } | undefined>('roles');
  return row?.roles;
}

/** Every role command and outcome in the store, with its data and metadata as stored. */
async function roleMessages(urls: DatabaseUrls): Promise<{ type: string; text: string }[]> {
  const client = new pg.Client({ connectionString: urls.messageStoreUrl });
  await client.connect();
  try {
    const result = await client.query<{ type: string; text: string }>(
      `SELECT type, data::text || metadata::text AS text FROM message_store.messages
        WHERE message_store.category(stream_name) IN ('identity:command', 'identityRoleChange') AND type <> 'Register' ORDER BY global_position`,
    );
    return result.rows;
  } finally {
    await client.end();
  }
}

scopedTest(
  'admin CLI (app not running): grant puts admin in the credentials row, revoke takes it out, each says what it did',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const command = registerCommand();
    const { userId, email } = command.data;
    await createIdentityComponent({
      messageStore: store,
      logger: silentLogger,
      siteUrl: 'http://localhost:3000',
    }).handlers.commands(await writeRegister(store, command));

    const grant = await runAdmin(['grant', email.toUpperCase()], urlEnv(urls));
    t.equal(grant.code, 0, 'grant exits 0');
    t.equal(grant.stdout.trim(), `Granted the admin role to ${email} (user ${userId}).`);
    t.deepEqual(await rolesOf(db, userId), ['admin'], 'the credentials row shows admin when the CLI returns');
    t.notOk(grant.stderr.includes(command.data.passwordHash), 'no hash in anything it printed');

    const again = await runAdmin(['grant', email], urlEnv(urls));
    t.equal(again.code, 0);
    t.equal(again.stdout.trim(), `No change: ${email} (user ${userId}) is already an admin.`);

    const revoke = await runAdmin(['revoke', email], urlEnv(urls));
    t.equal(revoke.code, 0, 'revoke exits 0');
    t.equal(revoke.stdout.trim(), `Revoked the admin role of ${email} (user ${userId}).`);
    t.deepEqual(await rolesOf(db, userId), [], 'admin is gone from the row');

    const written = await roleMessages(urls);
    t.equal(
      written.filter((row) => row.type === 'GrantAdminRole').length,
      2,
      'the two grants were written as commands',
    );
    t.notOk(
      written.some((row) => row.text.includes(email)),
      'no role command or outcome holds the address in plain text',
    );
  },
);

scopedTest('admin CLI: an unknown email exits 1 with a clear message; bad usage exits 2', async (t, scope) => {
  const { urls } = await openTestStore(scope);
  const email = `nobody-${randomUUID().slice(0, 8)}@example.com`;
  const unknown = await runAdmin(['grant', email], urlEnv(urls));
  t.equal(unknown.code, 1, 'exit code 1');
  t.ok(
    unknown.stderr.includes(`Refused: no registered user has that email (${email}).`),
    'says why, naming the address',
  );
  t.equal(unknown.stdout, '', 'nothing on stdout');
  t.deepEqual(await roleMessages(urls), [], 'and nothing written: no message holds an address nobody registered');

  const usage = await runAdmin(['promote', email], urlEnv(urls));
  t.equal(usage.code, 2, 'an unknown verb exits 2');
  t.match(usage.stderr, /usage: npm run admin -- grant <email> \| revoke <email>/);
  const notEmail = await runAdmin(['grant', 'not an email'], urlEnv(urls));
  t.equal(notEmail.code, 2);
  t.match(notEmail.stderr, /not an email address/);
});

scopedTest(
  "admin CLI (app running): the CLI stands by and the app's own identity subscriber decides",
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const command = registerCommand();
    await writeRegister(store, command);
    // The "app": this process runs the command subscriber and the aggregator, as npm start does.
    const settings = { retry: FAST_RETRY, pollIntervalMs: 50 };
    const app = [
      createIdentityCommandSubscription({
        messageStore: store,
        logger: silentLogger,
        personalData: createPersonalData(db),
        subscription: settings,
      }),
      liveSubscription(userCredentialsDefinition, {
        db,
        messageStore: store,
        logger: silentLogger,
        subscription: settings,
      }),
    ];
    for (const subscription of app) scope.running(subscription).start();

    const grant = await runAdmin(['grant', command.data.email], urlEnv(urls));
    t.equal(grant.code, 0, grant.stderr);
    // The CLI logs warnings only: standing by while the app runs the member is the plan, not one.
    t.equal(grant.stderr, '', 'no warning printed on the way');
    t.deepEqual(await rolesOf(db, command.data.userId), ['admin'], 'granted');
    t.equal(app[0]!.status().state, 'running', 'the app kept its member throughout');
    t.equal(app[0]!.status().handled, 2, 'and handled both the Register and the GrantAdminRole itself');
  },
);
