import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  DuplicateMessageIdError,
  follow,
  StreamNameError,
  VersionConflictError,
  type Projection,
} from '../../src/message-store/index.ts';
import { LISTENER_LOCK } from '../../src/message-store/write-signals.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'message store: write returns positions and read gives messages back typed and in order',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const stream = `${uniqueCategory()}-${randomUUID()}`;
    const first = message('Happened', { n: 1 }, { traceId: 'trace-1', userId: 'user-1' });
    t.equal(await store.write(stream, first), 0, 'first message is at position 0');
    t.equal(await store.write(stream, message('Happened', { n: 2 })), 1, 'second at position 1');

    const read = await store.readStream(stream);
    t.deepEqual(
      read.map((m) => m.data),
      [{ n: 1 }, { n: 2 }],
      'data comes back in stream order',
    );
    t.equal(read[0]?.id, first.id);
    t.equal(read[0]?.type, 'Happened');
    t.deepEqual(
      read[0]?.metadata,
      { traceId: 'trace-1', userId: 'user-1', schemaVersion: '1' },
      'metadata round-trips',
    );
    t.equal(read[0]?.streamName, stream);
    t.ok(read[0]!.globalPosition < read[1]!.globalPosition, 'global positions increase');
    t.ok(
      read[0]!.time instanceof Date && Math.abs(Date.now() - read[0]!.time.getTime()) < 60_000,
      'time is read as UTC',
    );

    t.equal(await store.streamVersion(stream), 1, 'stream version is the last position');
    t.equal(await store.streamVersion(`${uniqueCategory()}-${randomUUID()}`), -1, 'an empty stream is at version -1');
    t.deepEqual((await store.readLastMessage(stream))?.data, { n: 2 }, 'last message');
    t.equal(await store.readLastMessage(`${uniqueCategory()}-none`), undefined, 'no last message in an empty stream');
    t.deepEqual(
      (await store.readStream(stream, { fromPosition: 1 })).map((m) => m.position),
      [1],
      'read from a position',
    );
  },
);

scopedTest('message store: expected version conflicts raise a typed error and write nothing', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const stream = `${uniqueCategory()}-${randomUUID()}`;
  t.equal(await store.write(stream, message('A'), -1), 0, 'expected version -1 creates the stream');
  t.equal(await store.write(stream, message('B'), 0), 1, 'the right expected version writes');
  try {
    await store.write(stream, message('C'), 0);
    t.fail('a stale expected version must not write');
  } catch (error) {
    t.ok(error instanceof VersionConflictError, 'VersionConflictError');
    const conflict = error as VersionConflictError;
    t.deepEqual(
      [conflict.streamName, conflict.expectedVersion, conflict.actualVersion],
      [stream, 0, 1],
      'it names stream, expected and actual',
    );
  }
  try {
    await store.write(stream, message('D'), -1);
    t.fail('expected version -1 on an existing stream must not write');
  } catch (error) {
    t.ok(error instanceof VersionConflictError, 'stream already exists');
  }
  t.equal((await store.readStream(stream)).length, 2, 'nothing extra was written');
});

scopedTest('message store: writing the same message id again is harmless', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const stream = `${uniqueCategory()}-${randomUUID()}`;
  const once = message('Once');
  t.equal(await store.write(stream, once), 0);
  t.equal(await store.write(stream, once), 0, 'a retry returns the original position');
  t.equal(await store.write(stream, once, 0), 0, 'a retry with its original expected version too');
  t.equal(await store.write(stream, once, -1), 0, 'even when that version is now stale');
  t.equal((await store.readStream(stream)).length, 1, 'only one message exists');
  try {
    await store.write(`${uniqueCategory()}-${randomUUID()}`, once);
    t.fail('the same id in another stream is a bug, not a retry');
  } catch (error) {
    t.ok(error instanceof DuplicateMessageIdError, 'DuplicateMessageIdError');
  }
});

scopedTest(
  'message store: bad stream and category names are refused before reaching the database',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    for (const name of ['nodash', '-id', 'bad category-1', "x'-1"]) {
      try {
        await store.write(name, message('A'));
        t.fail(`${name} must be refused`);
      } catch (error) {
        t.ok(error instanceof StreamNameError, `write to ${JSON.stringify(name)} refused`);
      }
    }
    try {
      await store.readCategory('has-dash');
      t.fail('a stream name is not a category');
    } catch (error) {
      t.ok(error instanceof StreamNameError, 'category read of a stream name refused');
    }
  },
);

scopedTest('message store: project folds a stream into an entity and reports its version', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const stream = `${uniqueCategory()}-${randomUUID()}`;
  const projection: Projection<{ total: number; names: string[] }> = {
    init: () => ({ total: 0, names: [] }),
    apply: {
      Added: (state, m) => ({ ...state, total: state.total + Number((m.data as { n: number }).n) }),
      Named: (state, m) => ({ ...state, names: [...state.names, String((m.data as { name: string }).name)] }),
    },
  };
  t.deepEqual(await store.project(stream, projection), { state: { total: 0, names: [] }, version: -1 }, 'empty stream');
  for (let n = 1; n <= 1205; n += 1) await store.write(stream, message('Added', { n: 1 }));
  await store.write(stream, message('Ignored'));
  await store.write(stream, message('Named', { name: 'x' }));
  const { state, version } = await store.project(stream, projection);
  t.equal(state.total, 1205, 'all messages folded, across read batches');
  t.deepEqual(state.names, ['x']);
  t.equal(version, 1206, 'version counts every message, handled or not');
});

scopedTest('message store: follow carries trace, user and correlation and records the cause', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const stream = `${uniqueCategory()}:command-${randomUUID()}`;
  await store.write(
    stream,
    message('Do', {}, { traceId: 't1', userId: 'u1', correlationStreamName: 'identity-9', replyStreamName: 'reply-1' }),
  );
  const [command] = await store.readStream(stream);
  const event = follow(command!, 'Done', { ok: true });
  t.deepEqual(event.metadata, {
    traceId: 't1',
    userId: 'u1',
    correlationStreamName: 'identity-9',
    replyStreamName: 'reply-1',
    causationMessageStreamName: stream,
    causationMessagePosition: 0,
    causationMessageGlobalPosition: command!.globalPosition,
  });
  t.notEqual(event.id, command!.id, 'a new id');
});

scopedTest('message store: time is read as UTC whatever the process time zone', async (t, scope) => {
  const zone = process.env.TZ;
  // pg's own parser reads a zone-less timestamp as local time: only a zone other than UTC shows it.
  process.env.TZ = 'Asia/Kolkata';
  scope.add(undefined, () => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
  t.equal(new Date(2020, 0, 1).getTimezoneOffset(), -330, 'the process runs at UTC+5:30 for this test');
  const { store, pool } = await openTestStore(scope);
  const stream = `${uniqueCategory()}-${randomUUID()}`;
  const written = message('Timed');
  await store.write(stream, written);
  const [read] = await store.readStream(stream);
  const epoch = await pool.query<{ ms: string }>(
    'SELECT floor(extract(epoch FROM time) * 1000)::text AS ms FROM messages WHERE id = $1',
    [written.id],
  );
  t.equal(read?.time.getTime(), Number(epoch.rows[0]?.ms), 'the instant Message DB recorded, to the millisecond');
});

scopedTest(
  'message store: its connections act as the message_store role, so history cannot be rewritten through them',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const stream = `${uniqueCategory()}-${randomUUID()}`;
    await store.write(stream, message('Kept'));
    const who = await pool.query<{ role: string }>('SELECT current_user AS role');
    t.equal(who.rows[0]?.role, 'message_store', 'the session role');
    for (const statement of ['UPDATE messages SET type = $1', 'DELETE FROM messages WHERE type <> $1']) {
      try {
        await pool.query(statement, ['Forged']);
        t.fail(`${statement} must be refused`);
      } catch (error) {
        t.match(String(error), /permission denied/, `${statement.split(' ')[0]} is refused`);
      }
    }
    t.equal((await store.readStream(stream))[0]?.type, 'Kept', 'the message is as written');
  },
);

scopedTest("message store: a write sends no notification from the writer's own transaction", async (t, scope) => {
  // One pooled connection, so we know which backend wrote.
  const { store, pool, urls } = await openTestStore(scope, undefined, { max: 1 });
  const writer = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const listener = scope.add(new pg.Client({ connectionString: urls.messageStoreUrl }), (client) => client.end());
  await listener.connect();
  const heard: { processId: number; payload?: string }[] = [];
  listener.on('notification', (notification) => heard.push(notification));
  await listener.query('LISTEN message_store_write');
  // As a listening process does: announce it, or a writer alone on the server sends nothing.
  await listener.query('SELECT pg_advisory_lock_shared($1, $2)', [...LISTENER_LOCK]);
  const category = uniqueCategory();
  await store.write(`${category}-1`, message('Quiet'));
  await waitUntil('other processes to be told', () => heard.length > 0);
  t.ok(heard[0]!.payload?.endsWith(category), 'other processes are told which category was written');
  t.notEqual(
    heard[0]!.processId,
    writer,
    'by another connection, after the write committed: NOTIFY takes a cluster-wide lock at commit',
  );
});
