import { randomUUID } from 'node:crypto';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'category reads: every stream of the category, in global order, from a position, in batches',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory();
    const streams = Array.from({ length: 5 }, () => `${category}-${randomUUID()}`);
    for (let round = 0; round < 4; round += 1) {
      for (const stream of streams) await store.write(stream, message('Tick', { round }));
    }
    await store.write(`${uniqueCategory()}-${randomUUID()}`, message('Elsewhere'));

    const all = await store.readCategory(category);
    t.equal(all.length, 20, 'all 20 messages and nothing from another category');
    const positions = all.map((m) => m.globalPosition);
    t.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      'ordered by global position',
    );

    const from = all[7]!.globalPosition;
    const rest = await store.readCategory(category, { fromPosition: from });
    t.equal(rest[0]?.globalPosition, from, 'fromPosition is inclusive');
    t.equal(rest.length, 13);
    t.equal((await store.readCategory(category, { batchSize: 6 })).length, 6, 'batch size limits the read');
  },
);

scopedTest('category reads: consumer group members split the streams disjointly and completely', async (t, scope) => {
  const { store } = await openTestStore(scope);
  const category = uniqueCategory();
  const streams = Array.from({ length: 30 }, () => `${category}-${randomUUID()}`);
  for (const stream of streams) {
    await store.write(stream, message('One'));
    await store.write(stream, message('Two'));
  }
  const size = 3;
  const members = await Promise.all(
    Array.from({ length: size }, (_, member) => store.readCategory(category, { consumerGroup: { member, size } })),
  );
  const ids = members.flat().map((m) => m.id);
  t.equal(ids.length, 60, 'together the members see every message');
  t.equal(new Set(ids).size, 60, 'no message is seen by two members');
  const owner = new Map<string, number>();
  members.forEach((messages, member) => {
    for (const m of messages) {
      const previous = owner.get(m.streamName);
      if (previous !== undefined && previous !== member) t.fail(`${m.streamName} split across members`);
      owner.set(m.streamName, member);
    }
  });
  t.equal(owner.size, 30, 'each stream belongs to exactly one member');
  t.ok(
    members.every((messages) => messages.length > 0),
    'with 30 streams every member gets some',
  );
});

scopedTest(
  'category reads: correlation picks out only messages of workflows started in a category',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const category = uniqueCategory('sendEmail');
    await store.write(
      `${category}-${randomUUID()}`,
      message('Sent', {}, { correlationStreamName: `identity-${randomUUID()}` }),
    );
    await store.write(
      `${category}-${randomUUID()}`,
      message('Sent', {}, { correlationStreamName: `marketing-${randomUUID()}` }),
    );
    await store.write(`${category}-${randomUUID()}`, message('Sent'));
    const mine = await store.readCategory(category, { correlation: 'identity' });
    t.equal(mine.length, 1, 'only the identity-correlated message');
    t.ok(mine[0]?.metadata.correlationStreamName?.startsWith('identity-'));
  },
);
