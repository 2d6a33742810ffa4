import test from 'tape';
import { withSharedReads, type AllMessagesReader, type CategoryReadOptions } from '../../src/message-store/index.ts';
import { createMemoryMessageStore, type MemoryMessageStore } from '../helpers/memory-message-store.ts';
import { message } from '../helpers/message-store.ts';

/**
 * The memory store, its reads counted and, while `hold()` is in force, kept waiting until
 * `release()`: a read in flight, as a slow query would be, answering what was there when it began.
 */
async function countedStore(messages = 10) {
  const store = createMemoryMessageStore();
  for (let n = 1; n <= messages; n += 1) await store.write(`tick-${n}`, message('Tick', { n }));
  let reads = 0;
  let failing = false;
  let gate: Promise<void> | undefined;
  let open = () => {};
  const wait = async () => {
    reads += 1;
    if (gate) await gate;
    if (failing) throw new Error('connection lost');
  };
  const counted: MemoryMessageStore = {
    ...store,
    // What is there when the read begins, answered once the gate opens: as a query's snapshot.
    async readCategory(category: string, options?: CategoryReadOptions) {
      const answer = store.readCategory(category, options);
      await wait();
      return answer;
    },
    allMessagesReader(): AllMessagesReader {
      const own = store.allMessagesReader();
      return {
        async read(from, size) {
          const answer = own.read(from, size);
          await wait();
          return answer;
        },
      };
    },
  };
  return {
    store,
    shared: withSharedReads(counted),
    reads: () => reads,
    fail(fails: boolean) {
      failing = fails;
    },
    hold() {
      gate = new Promise((resolve) => (open = resolve));
    },
    release() {
      gate = undefined;
      open();
    },
  };
}

const positions = (messages: ReadonlyArray<{ globalPosition: number }>) => messages.map((m) => m.globalPosition);

test('shared reads: subscribers asking for the same batch at once share one read', async (t) => {
  const { shared, reads, hold, release } = await countedStore();
  hold();
  const asked = [1, 2, 3].map(() => shared.readCategory('tick', { fromPosition: 1, batchSize: 4 }));
  release();
  const answers = await Promise.all(asked);
  t.equal(reads(), 1, 'one read');
  t.deepEqual(answers.map(positions), [
    [1, 2, 3, 4],
    [1, 2, 3, 4],
    [1, 2, 3, 4],
  ]);
});

test('shared reads: a full batch is kept for whoever asks from its position for as many or fewer, later', async (t) => {
  const { shared, reads } = await countedStore();
  await shared.readCategory('tick', { fromPosition: 3, batchSize: 4 });
  t.deepEqual(positions(await shared.readCategory('tick', { fromPosition: 3, batchSize: 4 })), [3, 4, 5, 6]);
  t.deepEqual(positions(await shared.readCategory('tick', { fromPosition: 3, batchSize: 2 })), [3, 4], 'or fewer');
  t.equal(reads(), 1, 'from the one read');
  t.deepEqual(
    positions(await shared.readCategory('tick', { fromPosition: 3, batchSize: 8 })),
    [3, 4, 5, 6, 7, 8, 9, 10],
  );
  t.deepEqual(positions(await shared.readCategory('tick', { fromPosition: 4, batchSize: 2 })), [4, 5]);
  t.equal(reads(), 3, 'more than it holds, or from another position: read');
});

test('shared reads: a short batch (caught up) answers only those who asked while it was read', async (t) => {
  const { store, shared, reads } = await countedStore(3);
  t.deepEqual(positions(await shared.readCategory('tick', { fromPosition: 1, batchSize: 10 })), [1, 2, 3]);
  await store.write('tick-4', message('Tick', { n: 4 }));
  t.deepEqual(
    positions(await shared.readCategory('tick', { fromPosition: 1, batchSize: 10 })),
    [1, 2, 3, 4],
    'read again: it shows what was written since',
  );
  t.equal(reads(), 2);
});

test('shared reads: a read begun before a write is not joined by one woken by the write', async (t) => {
  const { store, shared, reads, hold, release } = await countedStore(3);
  const woken = new Promise<void>((resolve) => shared.onWrite('tick', resolve));
  hold();
  const before = shared.readCategory('tick', { fromPosition: 1, batchSize: 10 });
  await store.write('tick-4', message('Tick', { n: 4 }));
  await woken;
  const after = shared.readCategory('tick', { fromPosition: 1, batchSize: 10 });
  const alongside = shared.readCategory('tick', { fromPosition: 1, batchSize: 10 });
  release();
  await before;
  t.deepEqual(positions(await after), [1, 2, 3, 4], 'the one woken by the write sees it');
  t.deepEqual(positions(await alongside), [1, 2, 3, 4], 'and so does one asking with it');
  t.equal(reads(), 2, 'from one read of their own');
});

test('shared reads: a failed read is not kept; those who joined it get its error', async (t) => {
  const { shared, reads, hold, release, fail } = await countedStore();
  fail(true);
  hold();
  const asked = [1, 2].map(() => shared.readCategory('tick', { fromPosition: 1, batchSize: 4 }).catch((e: Error) => e));
  release();
  const answers = await Promise.all(asked);
  t.ok(
    answers.every((answer) => answer instanceof Error && answer.message === 'connection lost'),
    'both get the error',
  );
  fail(false);
  t.deepEqual(positions(await shared.readCategory('tick', { fromPosition: 1, batchSize: 4 })), [1, 2, 3, 4]);
  t.equal(reads(), 2, 'and the next ask reads again');
});

test('shared reads: other consumer-group members and other correlations read their own', async (t) => {
  const { shared, reads } = await countedStore();
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2 });
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2, consumerGroup: { member: 0, size: 2 } });
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2, consumerGroup: { member: 1, size: 2 } });
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2, correlation: 'other' });
  t.equal(reads(), 4, 'four kinds of read');
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2, consumerGroup: { member: 1, size: 2 } });
  t.equal(reads(), 4, 'each kept for its own kind');
});

test('shared reads: the readers of every category share a full batch, each keeping its own reader', async (t) => {
  const { shared, reads } = await countedStore();
  const first = shared.allMessagesReader();
  const second = shared.allMessagesReader();
  t.deepEqual(positions((await first.read(1, 5)).messages), [1, 2, 3, 4, 5]);
  t.deepEqual(positions((await second.read(1, 5)).messages), [1, 2, 3, 4, 5]);
  t.equal(reads(), 1, 'one read');
  await second.read(6, 10);
  await first.read(6, 10);
  t.equal(reads(), 3, 'a short one is read by each');
});

test('shared reads: only a few recent batches are kept per kind of read', async (t) => {
  const { shared, reads } = await countedStore();
  for (let from = 1; from <= 9; from += 2) await shared.readCategory('tick', { fromPosition: from, batchSize: 2 });
  await shared.readCategory('tick', { fromPosition: 9, batchSize: 2 });
  t.equal(reads(), 5, 'the newest is kept');
  await shared.readCategory('tick', { fromPosition: 1, batchSize: 2 });
  t.equal(reads(), 6, 'the oldest of five is not');
});
