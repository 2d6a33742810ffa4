import test from 'tape';
import pg from 'pg';
import { prepareDatabases } from '../../src/db/prepare-databases.ts';
import { installMessageDb, messageDbInstallFiles } from '../../src/db/install-message-db.ts';
import { ensureDatabase } from '../../src/db/ensure-database.ts';
import { scratchDatabaseUrl, silentLogger } from '../helpers/databases.ts';
import { closeAtEnd } from '../helpers/scoped-test.ts';

test('Message DB install order comes from the package scripts', async (t) => {
  const files = await messageDbInstallFiles();
  t.equal(files[0], 'roles/message-store.sql', 'the role first');
  const index = (file: string) => files.indexOf(file);
  t.ok(index('schema/message-store.sql') < index('tables/messages.sql'), 'schema before table');
  t.ok(index('extensions/pgcrypto.sql') < index('tables/messages.sql'), 'pgcrypto before the table that uses it');
  t.ok(
    index('types/message.sql') < index('functions/get-stream-messages.sql'),
    'the message type before functions returning it',
  );
  t.ok(index('functions/write-message.sql') < index('indexes/messages-id.sql'), 'functions, then indexes');
  t.equal(files.at(-1), 'privileges/views.sql', 'privileges last');
  t.equal(files.length, 31, 'every file of install.sh and the scripts it sources');
});

test('prepareDatabases creates, installs and migrates once, and is harmless to repeat', async (t) => {
  const urls = {
    databaseUrl: await scratchDatabaseUrl('prep_app'),
    messageStoreUrl: await scratchDatabaseUrl('prep_ms'),
  };
  await prepareDatabases(urls, silentLogger);
  t.equal((await installMessageDb(urls.messageStoreUrl, silentLogger)).installed, false, 'a second install is skipped');
  await prepareDatabases(urls, silentLogger);
  t.equal(await ensureDatabase(urls.databaseUrl, silentLogger), false, 'an existing database is left alone');

  const client = new pg.Client({ connectionString: urls.messageStoreUrl });
  await client.connect();
  try {
    const version = await client.query('SELECT message_store.message_store_version() AS v');
    t.equal(version.rows[0].v, '1.3.0', 'Message DB answers');
    // The audit guarantee: the store's own role can add messages but never rewrite them.
    await client.query('SET ROLE message_store');
    await client.query(`SELECT message_store.write_message(gen_random_uuid()::text, 'audit-1', 'Checked', '{}')`);
    try {
      await client.query(`UPDATE message_store.messages SET type = 'Forged'`);
      t.fail('the message_store role must not update history');
    } catch (error) {
      t.match(String(error), /permission denied/, 'the message_store role cannot UPDATE messages');
    }
    try {
      await client.query('DELETE FROM message_store.messages');
      t.fail('the message_store role must not delete history');
    } catch (error) {
      t.match(String(error), /permission denied/, 'nor DELETE them');
    }
  } finally {
    await client.end();
  }

  const app = new pg.Client({ connectionString: urls.databaseUrl });
  await app.connect();
  closeAtEnd(t, () => app.end());
  const tables = await app.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`);
  const names = tables.rows.map((row: { tablename: string }) => row.tablename);
  t.ok(names.includes('home_page') && names.includes('subscriber_positions'), 'projection tables migrated');
});
