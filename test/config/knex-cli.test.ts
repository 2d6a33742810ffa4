import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import test from 'tape';
import { freshDatabases } from '../helpers/databases.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KNEXFILE = path.join(root, 'knexfile.ts');

// `npm run migrate` is the supported way to migrate. A knexfile promises that knex's own CLI works
// too, so one may exist only if `knex migrate:status` lists our migrations by name.
test('migrations: the knex CLI is promised only if it works', async (t) => {
  if (!existsSync(KNEXFILE)) {
    t.pass('no knexfile.ts: npm run migrate is the supported way');
    for (const file of ['README.md', 'docs/architecture.md', 'tsconfig.json', 'tsconfig.build.json', '.env.example']) {
      t.notOk(
        /knexfile|knex migrate:|npx knex/.test(readFileSync(path.join(root, file), 'utf8')),
        `${file} does not promise it`,
      );
    }
    return;
  }
  const { databaseUrl } = await freshDatabases();
  // One migration done, one pending: the CLI lists them differently.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DELETE FROM knex_migrations WHERE name = '20261126000002_home_page'`).finally(() => client.end());
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/knex/bin/cli.js'), 'migrate:status', '--knexfile', KNEXFILE],
    { cwd: root, env: { ...process.env, ENV_FILE: '/dev/null', DATABASE_URL: databaseUrl } },
  );
  t.doesNotMatch(stdout, /undefined/, 'no nameless migrations');
  t.match(stdout, /20261126000001_subscriber_positions/, 'a completed migration is listed by name');
  t.match(stdout, /20261126000002_home_page/, 'and so is a pending one');
});
