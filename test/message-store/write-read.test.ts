import { randomUUID } from 'node:crypto';
import test from 'tape';
import {
  DuplicateMessageIdError,
  follow,
  StreamNameError,
  VersionConflictError,
  type Projection,
} from '../../src/message-store/index.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';

test('message store: write returns positions and read gives messages back typed and in order', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const stream = `${uniqueCategory()}-${randomUUID()}`;
    const first = message('Happened', { n: 1 }, { traceId: 'trace-1', userId: 'user-1' });
    t.equal(await store.write(stream, first), 0, 'first message is at position 0');
    t.equal(await store.write(stream, message('Happened', { n: 2 })), 1, 'second at position 1');

    const read = await store.readStream(stream);
    t.deepEqual(read.map((m) => m.data), [{ n: 1 }, { n: 2 }], 'data comes back in stream order');
    t.equal(read[0]?.id, first.id);
    t.equal(read[0]?.type, 'Happened');
    t.deepEqual(read[0]?.metadata, { traceId: 'trace-1', userId: 'user-1' }, 'metadata round-trips');
    t.equal(read[0]?.streamName, stream);
    t.ok(read[0]!.globalPosition < read[1]!.globalPosition, 'global positions increase');
    t.ok(read[0]!.time instanceof Date && Math.abs(Date.now() - read[0]!.time.getTime()) < 60_000, 'time is read as UTC');

    t.equal(await store.streamVersion(stream), 1, 'stream version is the last position');
    t.equal(await store.streamVersion(`${uniqueCategory()}-${randomUUID()}`), -1, 'an empty stream is at version -1');
    t.deepEqual((await store.readLastMessage(stream))?.data, { n: 2 }, 'last message');
    t.equal(await store.readLastMessage(`${uniqueCategory()}-none`), undefined, 'no last message in an empty stream');
    t.deepEqual((await store.readStream(stream, { fromPosition: 1 })).map((m) => m.position), [1], 'read from a position');
  } finally {
    await close();
  }
});

test('message store: expected version conflicts raise a typed error and write nothing', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const stream = `${uniqueCategory()}-${randomUUID()}`;
    t.equal(await store.write(stream, message('A'), -1), 0, 'expected version -1 creates the stream');
    t.equal(await store.write(stream, message('B'), 0), 1, 'the right expected version writes');
    try {
      await store.write(stream, message('C'), 0);
      t.fail('a stale expected version must not write');
    } catch (error) {
      t.ok(error instanceof VersionConflictError, 'VersionConflictError');
      const conflict = error as VersionConflictError;
      t.deepEqual([conflict.streamName, conflict.expectedVersion, conflict.actualVersion], [stream, 0, 1], 'it names stream, expected and actual');
    }
    try {
      await store.write(stream, message('D'), -1);
      t.fail('expected version -1 on an existing stream must not write');
    } catch (error) {
      t.ok(error instanceof VersionConflictError, 'stream already exists');
    }
    t.equal((await store.readStream(stream)).length, 2, 'nothing extra was written');
  } finally {
    await close();
  }
});

test('message store: writing the same message id again is harmless', async (t) => {
  const { store, close } = await openTestStore();
  try {
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
  } finally {
    await close();
  }
});

test('message store: bad stream and category names are refused before reaching the database', async (t) => {
  const { store, close } = await openTestStore();
  try {
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
  } finally {
    await close();
  }
});

test('message store: project folds a stream into an entity and reports its version', async (t) => {
  const { store, close } = await openTestStore();
  try {
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
  } finally {
    await close();
  }
});

test('message store: follow carries trace, user and correlation and records the cause', async (t) => {
  const { store, close } = await openTestStore();
  try {
    const stream = `${uniqueCategory()}:command-${randomUUID()}`;
    await store.write(stream, message('Do', {}, { traceId: 't1', userId: 'u1', correlationStreamName: 'identity-9', replyStreamName: 'reply-1' }));
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
  } finally {
    await close();
  }
});
