import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { sourceFiles } from '../helpers/source-files.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where SQL may name Message DB's messages table: the store (writes, and the reads Message DB's
 * functions serve) and its read-only query module (every other read). The two more are the
 * installers of the store's write trigger and its trace-id index: schema, not queries.
 */
const ALLOWED = [
  'src/message-store/',
  'src/message-queries/',
  'src/db/install-write-announcer.ts',
  'src/db/install-trace-index.ts',
];

/**
 * FROM/JOIN/INTO/UPDATE messages, the table by its schema-qualified name anywhere, or knex naming
 * it (`.from('messages')`, `db('messages')`, `.table('messages')`, `withSchema('message_store')`).
 */
const ON_MESSAGES =
  /\b(?:from|join|into|update)\s+(?:message_store\.)?messages\b|\bmessage_store\.messages\b|\b(?:from|into|table|join|\w+)\(\s*['"`](?:message_store\.)?messages['"`]|withSchema\(\s*['"`]message_store['"`]/gi;
/** What a read-only module must not say. */
const WRITES = /\b(?:insert\s+into|update\s+\w+(?:\.\w+)?\s+set|delete\s+from|truncate|write_message)\b/gi;

/**
 * Message DB's functions that read, write or lock messages, and its version: the store's alone. The
 * query module may use only the pure helpers on a stream name (category, cardinal_id, hash_64…).
 */
const STORE_FUNCTIONS =
  /\b(?:message_store\.)?(?:write_message|get_stream_messages|get_category_messages|get_last_stream_message|stream_version|acquire_lock|message_store_version)\s*\(/gi;

/** The code without its comments, so prose about the table is not taken for a query. */
const withoutComments = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:\\])\/\/.*$/gm, '$1');

async function matches(pattern: RegExp, keep: (where: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  for (const file of await sourceFiles(path.join(root, 'src'))) {
    const where = path.relative(root, file).split(path.sep).join('/');
    if (!keep(where)) continue;
    const code = withoutComments(await readFile(file, 'utf8'));
    for (const match of code.matchAll(pattern)) found.push(`${where}: ${match[0].replace(/\s+/g, ' ')}`);
  }
  return found;
}

test('sql boundary: only the store and src/message-queries query Message DB’s messages table', async (t) => {
  const outside = await matches(ON_MESSAGES, (where) => !ALLOWED.some((allowed) => where.startsWith(allowed)));
  t.deepEqual(
    outside,
    [],
    'no SQL on messages outside src/message-store and src/message-queries (add a function to src/message-queries)',
  );
  // The rule has something to hold: the module does query the table.
  t.ok(
    (await matches(ON_MESSAGES, (where) => where.startsWith('src/message-queries/'))).length > 20,
    'the query module holds the reads',
  );
});

test('sql boundary: src/message-queries only reads', async (t) => {
  t.deepEqual(
    await matches(WRITES, (where) => where.startsWith('src/message-queries/')),
    [],
    'no insert, update, delete or write_message in the query module (writes go through the store)',
  );
});

test('sql boundary: src/message-queries calls only Message DB’s helpers on a stream name, none of its functions on messages', async (t) => {
  t.deepEqual(
    await matches(STORE_FUNCTIONS, (where) => where.startsWith('src/message-queries/')),
    [],
    'no get_stream_messages, get_category_messages, get_last_stream_message, stream_version, acquire_lock or write_message there',
  );
  const seen = (code: string): boolean => new RegExp(STORE_FUNCTIONS.source, 'i').test(code);
  t.ok(seen('SELECT * FROM get_category_messages($1, $2)'), 'the rule sees a call of one');
  t.ok(seen('select message_store.stream_version($1)'), 'schema-qualified too');
  t.notOk(
    seen('WHERE category(stream_name) = $1 AND MOD(@hash_64(cardinal_id(stream_name)), $2) = $3'),
    'and lets the helpers be',
  );
});

test('sql boundary: the rule sees the table however it is named, and not prose or other tables', (t) => {
  const seen = (code: string): boolean => new RegExp(ON_MESSAGES.source, 'i').test(code);
  for (const code of [
    'SELECT * FROM messages WHERE id = $1',
    'select 1 from message_store.messages',
    "db.from('messages')",
    "knex('messages').where({ id })",
    'pool.query(`update messages set data = $1`)',
    "trx.table('message_store.messages')",
    "db.withSchema('message_store').select('*')",
  ]) {
    t.ok(seen(code), `seen: ${code}`);
  }
  for (const code of [
    "db('user_credentials')",
    "db.from('messages_seen')",
    'the messages of a stream',
    "db.from('parked_messages')",
  ])
    t.notOk(seen(code), `not seen: ${code}`);
  t.end();
});
