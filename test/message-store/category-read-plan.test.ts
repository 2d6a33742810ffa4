import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { readCategory } from '../../src/message-store/read.ts';
import { openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

interface PlanNode {
  readonly 'Shared Hit Blocks': number;
  readonly 'Shared Read Blocks': number;
}

/**
 * A pool for readCategory that runs each statement twice: under EXPLAIN (ANALYZE, BUFFERS), to
 * count the pages it touched (a function's own statements included), and then for its rows.
 */
function explainingPool(client: pg.Client, pages: number[]): pg.Pool {
  return {
    async query(text: string, values: unknown[]) {
      const explained = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
        values,
      );
      const plan = explained.rows[0]!['QUERY PLAN'][0]!.Plan;
      pages.push(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']);
      return client.query(text, values);
    },
  } as unknown as pg.Pool;
}

scopedTest(
  'category reads: past a common category’s last message, the read looks in its own index, not through the later messages of other categories',
  async (t, scope) => {
    const { urls } = await openTestStore(scope);
    const client = scope.add(
      new pg.Client({ connectionString: urls.messageStoreUrl, options: '-c search_path=message_store,public' }),
      (c) => c.end(),
    );
    await client.connect();
    const [common, later] = [uniqueCategory(), uniqueCategory()];
    // Most of the store is one category (as viewings are), and its newest messages are another's.
    const insert = (category: string, count: number) =>
      client.query(
        `INSERT INTO messages (id, stream_name, type, position, data, metadata)
         SELECT gen_random_uuid(), $1 || '-' || n, 'Happened', 0, '{}', '{}' FROM generate_series(1, $2) n`,
        [category, count],
      );
    await insert(common, 40_000);
    await insert(later, 20_000);
    await client.query('ANALYZE messages');
    const { rows } = await client.query<{ last: string }>(
      'SELECT max(global_position) AS last FROM messages WHERE category(stream_name) = $1',
      [common],
    );
    const past = Number(rows[0]!.last) + 1;

    const pages: number[] = [];
    const read = await readCategory(explainingPool(client, pages), common, { fromPosition: past, batchSize: 100 });
    t.deepEqual(read, [], 'nothing of the category after its last message');
    // Walking the primary key through the 20,000 later messages touched 139 pages; the index, 3.
    t.ok(pages[0]! < 50, `the read touched ${pages[0]} pages`);

    const first = await readCategory(explainingPool(client, pages), common, { fromPosition: 1, batchSize: 100 });
    t.equal(first.length, 100, 'from the start, a batch of the category');
    t.ok(
      first.every((message) => message.streamName.startsWith(`${common}-`)),
      'and only of the category',
    );
  },
);

scopedTest(
  'category reads: the same messages, in the same order, as Message DB’s get_category_messages, for every member of a consumer group and with a correlation',
  async (t, scope) => {
    const { store, pool } = await openTestStore(scope);
    const [category, correlated] = [uniqueCategory(), uniqueCategory()];
    for (let n = 0; n < 60; n += 1)
      await store.write(`${category}-${n % 17}`, {
        id: randomUUID(),
        type: 'Happened',
        data: { n },
        metadata: n % 3 === 0 ? { correlationStreamName: `${correlated}-${n}` } : {},
      });
    const theirs = async (member: number | null, size: number | null, correlation: string | null) =>
      (
        await pool.query<{ id: string }>('SELECT id FROM get_category_messages($1, $2, $3, $4, $5, $6)', [
          category,
          5,
          1000,
          correlation,
          member,
          size,
        ])
      ).rows.map((row) => row.id);
    const ours = async (options: Parameters<typeof readCategory>[2]) =>
      (await readCategory(pool, category, { fromPosition: 5, ...options })).map((message) => message.id);
    t.deepEqual(await ours({}), await theirs(null, null, null), 'the whole category from a position');
    t.deepEqual(
      (await readCategory(pool, category, { batchSize: -1 })).map((message) => message.id),
      (await pool.query<{ id: string }>('SELECT id FROM get_category_messages($1, 1, -1)', [category])).rows.map(
        (row) => row.id,
      ),
      'to the end (-1), from the start',
    );
    t.deepEqual(await ours({ correlation: correlated }), await theirs(null, null, correlated), 'with a correlation');
    for (const size of [2, 3])
      for (let member = 0; member < size; member += 1)
        t.deepEqual(
          await ours({ consumerGroup: { member, size } }),
          await theirs(member, size, null),
          `member ${member} of ${size}`,
        );
  },
);
