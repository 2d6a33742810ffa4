import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { liveSubscription } from '../../src/aggregators/definition.ts';
import { ADMIN_STREAMS_SUBSCRIBER_ID, adminStreamsDefinition } from '../../src/aggregators/admin-streams/index.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message, openTestStore, uniqueCategory } from '../helpers/message-store.ts';
import type { Scope } from '../helpers/scope.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

function aggregator(store: MessageStore, db: Knex, { batchSize = 100, pollIntervalMs = 1_000 } = {}) {
  return liveSubscription(adminStreamsDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize, pollIntervalMs },
  });
}

async function snapshot(db: Knex) {
  return {
    streams: await db('admin_streams').orderBy('stream_name').select('*'),
    categories: await db('admin_categories').orderBy('category').select('*'),
    types: await db('admin_message_types').orderBy(['category', 'type']).select('*'),
    minutes: await db('admin_message_minutes').orderBy('minute').select('*'),
  };
}

/** What the store holds, counted the slow way, to hold the projection against. */
async function countedInStore(pool: pg.Pool) {
  const categories = await pool.query<{ category: string; messages: string; streams: string }>(
    `SELECT category(stream_name) AS category, count(*) AS messages, count(DISTINCT stream_name) AS streams
       FROM messages GROUP BY 1 ORDER BY 1`,
  );
  return categories.rows.map((row) => ({
    category: row.category,
    message_count: row.messages,
    stream_count: row.streams,
  }));
}

async function categoryCounts(db: Knex) {
  return db('admin_categories').orderBy('category').select('category', 'message_count', 'stream_count');
}

scopedTest(
  'admin-streams: every stream, category, type and minute counted, with the last position and time',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [first, second] = [uniqueCategory('alpha'), uniqueCategory('beta')];
    const busy = `${first}-${randomUUID()}`;
    for (let n = 0; n < 3; n += 1) await store.write(busy, message(n === 0 ? 'Opened' : 'Moved'));
    await store.write(`${first}-${randomUUID()}`, message('Opened'));
    await store.write(`${second}:command-${randomUUID()}`, message('Do'));
    await drain(aggregator(store, db));

    const [last] = (await store.readStream(busy)).slice(-1);
    t.deepEqual(
      await db('admin_streams').where({ stream_name: busy }).first(),
      {
        stream_name: busy,
        category: first,
        message_count: '3',
        last_position: '2',
        last_global_position: String(last!.globalPosition),
        last_time: last!.time,
      },
      'a stream: its category, count, last position, global position and time',
    );
    t.deepEqual(
      await categoryCounts(db),
      await countedInStore(pool),
      'per category, the messages and streams the store holds',
    );
    t.deepEqual(
      await categoryCounts(db),
      [
        { category: first, message_count: '4', stream_count: '2' },
        { category: `${second}:command`, message_count: '1', stream_count: '1' },
      ],
      'a command stream counted in its own category',
    );
    t.deepEqual(
      (await db('admin_message_types').orderBy(['category', 'type']).select('category', 'type', 'message_count')).map(
        (row) => Object.values(row),
      ),
      [
        [first, 'Moved', '2'],
        [first, 'Opened', '2'],
        [`${second}:command`, 'Do', '1'],
      ],
      'per message type',
    );
    const minutes = await db('admin_message_minutes').select<{ message_count: string }[]>('message_count');
    t.equal(
      minutes.reduce((sum, row) => sum + Number(row.message_count), 0),
      5,
      'every message in its minute',
    );
  },
);

scopedTest(
  'admin-streams: a replay changes nothing: the position moved back, replayed in other batches, with new messages after',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const categories = [uniqueCategory(), uniqueCategory()];
    for (let n = 0; n < 12; n += 1) await store.write(`${categories[n % 2]}-${n % 5}`, message(`Type${n % 3}`));
    await drain(aggregator(store, db));
    const before = await snapshot(db);

    await db('subscriber_positions').where({ subscriber_id: ADMIN_STREAMS_SUBSCRIBER_ID }).del();
    await drain(aggregator(store, db, { batchSize: 5 }));
    t.deepEqual(await snapshot(db), before, 'replayed from the start over the rows: nothing counted twice');

    await store.write(`${categories[0]}-new`, message('Type0'));
    await db('subscriber_positions').where({ subscriber_id: ADMIN_STREAMS_SUBSCRIBER_ID }).update({ position: 7 });
    await drain(aggregator(store, db, { batchSize: 4 }));
    t.deepEqual(
      await categoryCounts(db),
      await countedInStore(pool),
      'moved back part of the way: the new message counted once, the old ones not again',
    );
  },
);

/** Another program's connection, writing inside a transaction it keeps open. */
async function openWriter(scope: Scope, url: string): Promise<pg.Client> {
  const client = scope.add(
    new pg.Client({ connectionString: url, options: '-c search_path=message_store,public' }),
    (c) => c.end(),
  );
  await client.connect();
  return client;
}

scopedTest(
  'admin-streams: a write held open in one category while others commit is counted once it commits: nothing lost',
  async (t, scope) => {
    const { store, pool, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const subscription = aggregator(store, db, { pollIntervalMs: 50 });
    scope.running(subscription).start();
    await store.write(`${uniqueCategory('before')}-1`, message('Before'));

    const slow = await openWriter(scope, urls.messageStoreUrl);
    await slow.query('BEGIN');
    const late = uniqueCategory('late');
    await slow.query(`SELECT write_message($1, $2, 'Late', '{}')`, [randomUUID(), `${late}-1`]);
    // Other categories commit past the held position while it is still in flight.
    for (let n = 0; n < 6; n += 1) await store.write(`${uniqueCategory('quick')}-${n % 2}`, message('Quick'));
    const head = async () =>
      Number((await pool.query<{ max: string }>('SELECT max(global_position) AS max FROM messages')).rows[0]?.max ?? 0);
    const quickHead = await head();
    // The aggregator has read everything it can see: it waits at the gap (or, were it to read
    // past gaps, it would have gone on to the last quick message).
    await waitUntil(
      'the aggregator to reach the held write',
      () => subscription.status().waitingAtGap || subscription.status().position >= quickHead,
    );

    await slow.query('COMMIT');
    const committedHead = await head();
    await waitUntil(
      'the aggregator to catch up with the store',
      () => subscription.status().caughtUp && subscription.status().position >= committedHead,
    );
    t.deepEqual(
      await categoryCounts(db),
      await countedInStore(pool),
      'every message of every category counted, the late one too',
    );
    t.ok(
      await db('admin_streams')
        .where({ stream_name: `${late}-1` })
        .first(),
      'the late stream is listed',
    );
    const total = await db('admin_categories').sum({ n: 'message_count' }).first();
    t.equal(Number(total?.n), 8, 'eight messages in all');
  },
);
