import { randomUUID } from 'node:crypto';
import type test from 'tape';
import {
  ANY_CATEGORY,
  DuplicateMessageIdError,
  StreamNameError,
  VersionConflictError,
  type MessageStore,
  type Projection,
} from '../../src/message-store/index.ts';
import { message, uniqueCategory } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { closeAtEnd, scopedTest } from '../helpers/scoped-test.ts';
import { waitUntil } from '../helpers/wait-until.ts';

/**
 * What every message store promises, run against each of them (contract.test.ts: PostgreSQL;
 * memory-message-store.unit.test.ts: the in-memory one), so the substitute the unit tier uses
 * cannot drift from the real thing. A case added here holds both to it.
 */
export function storeContract(name: string, open: (scope: Scope) => Promise<MessageStore>): void {
  const contract = (title: string, body: (t: test.Test, store: MessageStore) => Promise<void>) =>
    scopedTest(`store contract (${name}): ${title}`, async (t, scope) => body(t, await open(scope)));

  contract(
    'positions count from 0 in a stream and rise globally; metadata comes back as written, stamped with its version',
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      const first = message(
        'Happened',
        { n: 1, nested: { list: [1, 'two'] } },
        { traceId: 'trace-1', userId: null, correlationStreamName: 'other-1' },
      );
      t.equal(await store.write(stream, first), 0, 'first at 0');
      t.equal(await store.write(stream, message('Happened', { n: 2 })), 1, 'second at 1');
      const read = await store.readStream(stream);
      t.deepEqual(
        read.map((m) => [m.id, m.type, m.position, m.streamName]),
        [
          [first.id, 'Happened', 0, stream],
          [read[1]?.id, 'Happened', 1, stream],
        ],
      );
      t.deepEqual(read[0]?.data, { n: 1, nested: { list: [1, 'two'] } }, 'data round-trips');
      t.deepEqual(
        read[0]?.metadata,
        { traceId: 'trace-1', userId: null, correlationStreamName: 'other-1', schemaVersion: '1' },
        'metadata round-trips, with schemaVersion',
      );
      t.ok(read[0]!.globalPosition < read[1]!.globalPosition, 'global positions rise');
      t.ok(read[0]!.time instanceof Date && Math.abs(Date.now() - read[0]!.time.getTime()) < 60_000, 'time is now');
      t.equal(await store.streamVersion(stream), 1, 'version is the last position');
      t.equal(await store.streamVersion(`${uniqueCategory()}-none`), -1, 'an empty stream is at -1');
    },
  );

  contract('metadata keys of the wrong type, or unknown, are not handed to readers', async (t, store) => {
    const stream = `${uniqueCategory()}-${randomUUID()}`;
    const odd = {
      id: randomUUID(),
      type: 'Odd',
      data: {},
      metadata: { traceId: 7, userId: 3, causationMessagePosition: 'x', somethingElse: 'y', schemaVersion: '2' },
    };
    await store.write(stream, odd as unknown as Parameters<MessageStore['write']>[1]);
    t.deepEqual((await store.readStream(stream))[0]?.metadata, { schemaVersion: '2' }, 'only well-typed, known keys');
  });

  contract(
    "an expected version that is not the stream's raises VersionConflictError naming both, and writes nothing",
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      t.equal(await store.write(stream, message('A'), -1), 0, '-1 creates the stream');
      t.equal(await store.write(stream, message('B'), 0), 1, 'the right version writes');
      for (const expected of [0, -1, 5]) {
        const error = await store.write(stream, message('C'), expected).catch((caught: unknown) => caught);
        t.ok(error instanceof VersionConflictError, `expected ${expected}: VersionConflictError`);
        const conflict = error as VersionConflictError;
        t.deepEqual(
          [conflict.streamName, conflict.expectedVersion, conflict.actualVersion],
          [stream, expected, 1],
          'stream, expected, actual',
        );
      }
      const other = `${uniqueCategory()}-${randomUUID()}`;
      const onEmpty = await store.write(other, message('A'), 0).catch((caught: unknown) => caught);
      t.equal((onEmpty as VersionConflictError).actualVersion, -1, 'an empty stream is at -1 in the error');
      t.equal(await store.streamVersion(stream), 1, 'nothing written');
    },
  );

  contract(
    'the same id again returns its first position; in another stream it is DuplicateMessageIdError',
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      const once = message('Once');
      await store.write(stream, message('Before'));
      t.equal(await store.write(stream, once), 1);
      t.equal(await store.write(stream, once), 1, 'again: the first position');
      t.equal(await store.write(stream, once, 0), 1, 'even with a stale expected version (a retry)');
      t.equal(await store.streamVersion(stream), 1, 'written once');
      const elsewhere = await store
        .write(`${uniqueCategory()}-${randomUUID()}`, once)
        .catch((caught: unknown) => caught);
      t.ok(elsewhere instanceof DuplicateMessageIdError, 'DuplicateMessageIdError');
      t.equal((elsewhere as DuplicateMessageIdError).existingStreamName, stream, 'naming where it is');
    },
  );

  contract(
    'a message id is a UUID: anything else is refused and nothing written; one in capitals is the same id, read back in lower case',
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      const refused = await store.write(stream, { ...message('NotUuid'), id: 'not-a-uuid' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      t.ok(refused instanceof Error, 'an id that is no UUID is refused');
      t.equal(await store.streamVersion(stream), -1, 'and nothing is written');
      const id = randomUUID();
      t.equal(await store.write(stream, { ...message('Once'), id: id.toUpperCase() }), 0);
      t.equal(
        await store.write(stream, { ...message('Once'), id }),
        0,
        'the same id in lower case is a retry of the first write',
      );
      t.deepEqual(
        (await store.readStream(stream)).map((read) => read.id),
        [id],
        'written once, its id in lower case',
      );
    },
  );

  contract('names are checked before anything is read or written', async (t, store) => {
    const refused = async (what: string, attempt: () => Promise<unknown>) =>
      t.ok(
        (await attempt().then(
          () => undefined,
          (error: unknown) => error,
        )) instanceof StreamNameError,
        what,
      );
    await refused('write to a category', () => store.write('nodash', message('A')));
    await refused('readStream of a category', () => store.readStream('nodash'));
    await refused('readCategory of a stream', () => store.readCategory('has-dash'));
    await refused('readLastMessage of a category', () => store.readLastMessage('nodash'));
    await refused('a correlation that is a stream', () => store.readCategory('fine', { correlation: 'has-dash' }));
  });

  contract(
    'readStream reads from a position, in batches; readLastMessage finds the last, or the last of a type',
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      for (const type of ['A', 'B', 'A', 'C']) await store.write(stream, message(type, { type }));
      t.deepEqual(
        (await store.readStream(stream, { fromPosition: 1 })).map((m) => m.position),
        [1, 2, 3],
        'from a position',
      );
      t.deepEqual(
        (await store.readStream(stream, { fromPosition: 1, batchSize: 2 })).map((m) => m.position),
        [1, 2],
        'a batch',
      );
      t.deepEqual(
        (await store.readStream(stream, { batchSize: -1 })).map((m) => m.position),
        [0, 1, 2, 3],
        '-1: everything',
      );
      t.equal((await store.readLastMessage(stream))?.position, 3, 'the last');
      t.equal((await store.readLastMessage(stream, 'A'))?.position, 2, 'the last A');
      t.equal(await store.readLastMessage(stream, 'Z'), undefined, 'no Z');
      t.equal(await store.readLastMessage(`${uniqueCategory()}-none`), undefined, 'an empty stream has none');
    },
  );

  contract(
    "readCategory: the category's streams in global order, from a global position, in batches, by correlation",
    async (t, store) => {
      const category = uniqueCategory();
      const workflow = uniqueCategory('workflow');
      const [one, two] = [`${category}-${randomUUID()}`, `${category}-${randomUUID()}`];
      await store.write(one, message('A', { n: 1 }));
      await store.write(`${uniqueCategory()}-${randomUUID()}`, message('Elsewhere'));
      await store.write(two, message('A', { n: 2 }, { correlationStreamName: `${workflow}-1` }));
      await store.write(one, message('A', { n: 3 }, { correlationStreamName: `${uniqueCategory()}-1` }));
      const all = await store.readCategory(category);
      t.deepEqual(
        all.map((m) => m.data),
        [{ n: 1 }, { n: 2 }, { n: 3 }],
        'only this category, in write order',
      );
      t.deepEqual(
        (await store.readCategory(category, { fromPosition: all[1]!.globalPosition })).map((m) => m.data),
        [{ n: 2 }, { n: 3 }],
        'from a global position, inclusive',
      );
      t.deepEqual(
        (await store.readCategory(category, { batchSize: 2 })).map((m) => m.data),
        [{ n: 1 }, { n: 2 }],
        'a batch',
      );
      t.deepEqual(
        (await store.readCategory(category, { correlation: workflow })).map((m) => m.data),
        [{ n: 2 }],
        'correlated with the workflow category',
      );
    },
  );

  contract(
    'consumer groups split by the cardinal id as Message DB hashes it, disjointly and completely',
    async (t, store) => {
      const category = uniqueCategory();
      const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'a+x', 'b+y'];
      for (const id of ids) await store.write(`${category}-${id}`, message('A', { id }));
      const members = await Promise.all(
        [0, 1, 2].map(async (member) =>
          (await store.readCategory(category, { consumerGroup: { member, size: 3 } })).map(
            (m) => (m.data as { id: string }).id,
          ),
        ),
      );
      // Fixed by Message DB's hash_64 (md5) of the part before '+': the same on every store.
      t.deepEqual(
        members,
        EXPECTED_MEMBERS,
        'each id goes to the member Message DB gives it; a compound id goes with its cardinal id',
      );
    },
  );

  contract('a consumer group Message DB would not read for is refused, before anything is read', async (t, store) => {
    const category = uniqueCategory();
    for (const consumerGroup of [
      { member: 2, size: 2 },
      { member: -1, size: 2 },
      { member: 0, size: 0 },
      { member: 0, size: 40_000 },
      { member: 0.5, size: 2 },
    ])
      await store.readCategory(category, { consumerGroup }).then(
        () => t.fail(`member ${consumerGroup.member} of ${consumerGroup.size} read`),
        (error: Error) =>
          t.match(
            error.message,
            /consumer group member/,
            `member ${consumerGroup.member} of ${consumerGroup.size} refused`,
          ),
      );
  });

  contract(
    "streamNames lists the category's streams whose id starts with a prefix, taking % and _ literally",
    async (t, store) => {
      const category = uniqueCategory();
      for (const id of ['ab1', 'ab2', 'ac1', 'a%1', 'a_1']) await store.write(`${category}-${id}`, message('A'));
      await store.write(`${category}-ab1`, message('A'));
      t.deepEqual(
        await store.streamNames(category, 'ab'),
        [`${category}-ab1`, `${category}-ab2`],
        'by prefix, each once, sorted',
      );
      t.deepEqual(await store.streamNames(category, 'a%'), [`${category}-a%1`], '% is literal');
      t.deepEqual(await store.streamNames(category, 'a_'), [`${category}-a_1`], '_ is literal');
    },
  );

  contract(
    'project folds a stream, skipping types it does not know, and reports the version to expect',
    async (t, store) => {
      const stream = `${uniqueCategory()}-${randomUUID()}`;
      const counter: Projection<{ count: number }> = {
        init: () => ({ count: 0 }),
        apply: { Added: (state, m) => ({ count: state.count + (m.data as { by: number }).by }) },
      };
      t.deepEqual(await store.project(stream, counter), { state: { count: 0 }, version: -1 }, 'empty: init, -1');
      await store.write(stream, message('Added', { by: 2 }));
      await store.write(stream, message('Ignored'));
      await store.write(stream, message('Added', { by: 3 }));
      t.deepEqual(
        await store.project(stream, counter),
        { state: { count: 5 }, version: 2 },
        'folded; the version counts the skipped one',
      );
    },
  );

  contract('projectEach folds each stream as project does, an empty one to init and -1', async (t, store) => {
    const category = uniqueCategory();
    const [busy, quiet, empty] = [randomUUID(), randomUUID(), randomUUID()].map((id) => `${category}-${id}`);
    const counter: Projection<{ count: number; last: string }> = {
      init: () => ({ count: 0, last: '' }),
      apply: {
        Added: (state, m) => ({ count: state.count + (m.data as { by: number }).by, last: m.time.toISOString() }),
      },
    };
    await store.write(busy!, message('Added', { by: 2 }));
    await store.write(quiet!, message('Added', { by: 7 }));
    await store.write(busy!, message('Ignored'));
    await store.write(busy!, message('Added', { by: 3 }));
    const folded = await store.projectEach([busy!, quiet!, empty!, busy!], counter);
    t.deepEqual(
      [...folded.keys()].sort(),
      [busy!, quiet!, empty!].sort(),
      'one entry for each stream asked, however often',
    );
    for (const stream of [busy!, quiet!, empty!])
      t.deepEqual(folded.get(stream), await store.project(stream, counter), 'the same as project of that stream');
    t.deepEqual(folded.get(busy!)?.version, 2, 'in stream order, the skipped one counted');
    t.deepEqual(await store.projectEach([], counter), new Map(), 'no streams: nothing');
    const refused = await store.projectEach(['not a stream'], counter).then(
      () => undefined,
      (error: unknown) => error,
    );
    t.ok(refused instanceof StreamNameError, 'a bad name is refused');
    const many = Array.from({ length: 150 }, () => `${category}-${randomUUID()}`);
    for (const [index, stream] of many.entries()) await store.write(stream, message('Added', { by: index }));
    const all = await store.projectEach(many, counter);
    t.deepEqual(
      many.map((stream) => all.get(stream)?.state.count),
      many.map((_, index) => index),
      'more streams than one statement reads: each folded',
    );
  });

  contract(
    'onWrite wakes a listener of the category and of every category after a write, until unsubscribed',
    async (t, store) => {
      const category = uniqueCategory();
      let mine = 0;
      let any = 0;
      const stopMine = store.onWrite(category, () => (mine += 1));
      const stopAny = store.onWrite(ANY_CATEGORY, () => (any += 1));
      closeAtEnd(t, async () => {
        stopMine();
        stopAny();
      });
      await store.write(`${category}-1`, message('A'));
      await waitUntil('both listeners woken', () => mine > 0 && any > 0, { timeoutMs: 10_000 });
      t.pass('both woken');
    },
  );

  contract('allMessagesReader reads every category in global order from a position', async (t, store) => {
    const [a, b] = [uniqueCategory(), uniqueCategory()];
    const first = await store.write(`${a}-1`, message('A'));
    t.equal(first, 0);
    const start = (await store.readStream(`${a}-1`))[0]!.globalPosition;
    await store.write(`${b}-1`, message('B'));
    await store.write(`${a}-1`, message('C'));
    const { messages, waiting } = await store.allMessagesReader().read(start, 100);
    t.notOk(waiting, 'no gap to wait for');
    t.deepEqual(
      messages.filter((m) => [a, b].some((c) => m.streamName.startsWith(`${c}-`))).map((m) => m.type),
      ['A', 'B', 'C'],
      'in global order across categories',
    );
    t.ok(
      messages.every((m, i) => i === 0 || m.globalPosition > messages[i - 1]!.globalPosition),
      'positions rise',
    );
  });

  contract(
    'membership: one claim per member; a second, or another group size, is refused until released',
    async (t, store) => {
      const subscriber = `contract-${randomUUID()}`;
      const first = await store.membership.claim(subscriber, { member: 0, size: 2 });
      t.ok(first.ok, 'the first claim holds');
      t.notOk(
        (await store.membership.claim(subscriber, { member: 0, size: 2 })).ok,
        'the same member again is refused',
      );
      t.notOk((await store.membership.claim(subscriber, { member: 0, size: 3 })).ok, 'another group size is refused');
      t.notOk(
        (await store.membership.claim(subscriber, { member: 2, size: 2 })).ok,
        'a member outside the group is refused',
      );
      const second = await store.membership.claim(subscriber, { member: 1, size: 2 });
      t.ok(second.ok, 'the other member holds');
      if (first.ok) {
        t.ok(first.claim.held, 'held');
        await first.claim.release();
        t.notOk(first.claim.held, 'released');
      }
      const again = await store.membership.claim(subscriber, { member: 0, size: 2 });
      t.ok(again.ok, 'free again once released');
      for (const claim of [second, again]) if (claim.ok) await claim.claim.release();
    },
  );
}

/**
 * Members 0, 1, 2 of a group of 3, for the ids written in the consumer-group case (written order):
 * `MOD(@hash_64(cardinal_id(stream_name)), 3)`, as computed by Message DB's own functions.
 */
const EXPECTED_MEMBERS: string[][] = [
  ['a', 'b', 'd', 'g', 'a+x', 'b+y'],
  ['c', 'f'],
  ['e', 'h'],
];
