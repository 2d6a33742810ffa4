import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscriptions, projectionOf } from '../../src/aggregators/definition.ts';
import { PLAYBACK_SUBSCRIBER_IDS, playbackDefinition } from '../../src/aggregators/playback/index.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { playbackStreamName } from '../../src/contracts/playback.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { createPersonalData, type PersonalData } from '../../src/personal-data/seal.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { drain, openProjectionDb } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { applyProjectionBatch } from '../../src/subscription/projection-batch.ts';
import { waitUntil } from '../helpers/wait-until.ts';

function aggregators(store: MessageStore, db: Knex) {
  return liveSubscriptions(playbackDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY, batchSize: 2 },
  });
}

async function catchUp(store: MessageStore, db: Knex): Promise<void> {
  for (const subscription of aggregators(store, db)) await drain(subscription);
}

async function progressed(
  store: MessageStore,
  personalData: PersonalData,
  userId: string,
  videoId: string,
  positionSeconds: number,
  durationSeconds = 600,
) {
  const data = { userId, videoId: await personalData.seal(userId, videoId), positionSeconds, durationSeconds };
  await store.write(playbackStreamName(userId), {
    id: randomUUID(),
    type: 'PlaybackProgressed',
    data,
    metadata: { userId },
  });
}

async function cleared(store: MessageStore, userId: string) {
  await store.write(playbackStreamName(userId), {
    id: randomUUID(),
    type: 'PlaybackHistoryCleared',
    data: { userId },
    metadata: { userId },
  });
}

const rowsOf = async (db: Knex) =>
  (
    await db('playback_positions')
      .orderBy(['user_id', 'video_id'])
      .select('user_id', 'video_id', 'position_seconds', 'stream_position')
  ).map((row) => ({
    ...row,
    stream_position: Number(row.stream_position),
  }));

/** How many clears the projection keeps, of one viewer or of all. */
async function clearsOf(db: Knex, userId?: string): Promise<number> {
  const clears = userId === undefined ? db('playback_clears') : db('playback_clears').where({ user_id: userId });
  const [row] = await clears.count<{ n: string }[]>('* as n');
  return Number(row?.n);
}

/** Hands `messages` to the playback part by hand, in the order given, one batch each, as a redelivery would. */
async function deliver(db: Knex, messages: readonly RawMessage[]): Promise<void> {
  const projection = projectionOf(playbackDefinition, PLAYBACK_SUBSCRIBER_IDS.playback);
  for (const message of messages) {
    await db.transaction(async (trx) => {
      const parsed = await projection.parse(message, trx);
      if (parsed !== undefined) await projection.apply([parsed], trx);
    });
  }
}

scopedTest(
  'playback: the latest position per viewer and video; delivered twice or out of order, never moved back',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const [ada, bob] = [randomUUID(), randomUUID()];
    const [first, second] = [randomUUID(), randomUUID()];
    await progressed(store, personalData, ada, first, 10);
    await progressed(store, personalData, ada, first, 40);
    await progressed(store, personalData, ada, second, 7);
    await progressed(store, personalData, bob, first, 300);
    await catchUp(store, db);
    const expected = [
      { user_id: ada, video_id: first, position_seconds: 40, stream_position: 1 },
      { user_id: ada, video_id: second, position_seconds: 7, stream_position: 2 },
      { user_id: bob, video_id: first, position_seconds: 300, stream_position: 0 },
    ].sort((a, b) => `${a.user_id}${a.video_id}`.localeCompare(`${b.user_id}${b.video_id}`));
    t.deepEqual(await rowsOf(db), expected, 'one row per viewer and video, at the latest report');

    const adas = await store.readStream(playbackStreamName(ada));
    await deliver(db, [...adas].reverse());
    t.deepEqual(await rowsOf(db), expected, 'every report delivered again, newest first: nothing moves back');
    await deliver(db, adas);
    t.deepEqual(await rowsOf(db), expected, 'and again in order: the same rows');

    // From nothing, the older report arriving after the newer one.
    await db('playback_positions').delete();
    await deliver(db, [adas[1]!, adas[0]!]);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.position_seconds),
      [40],
      'an older report after a newer one leaves the newer position',
    );
  },
);

/** Hands `messages` to the playback part as one batch, in one transaction, as a catch-up reads them. */
async function deliverAsOneBatch(db: Knex, messages: readonly RawMessage[]): Promise<void> {
  const projection = projectionOf(playbackDefinition, PLAYBACK_SUBSCRIBER_IDS.playback);
  await db.transaction(async (trx) => {
    const parsed = [];
    for (const message of messages) {
      const change = await projection.parse(message, trx);
      if (change !== undefined) parsed.push(change);
    }
    await projection.apply(parsed, trx);
  });
}

scopedTest(
  'playback: one batch holding a video’s reports twice and a clear between them leaves what one at a time would',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const [ada, first, second, third] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await progressed(store, personalData, ada, first, 10);
    await progressed(store, personalData, ada, first, 40);
    await progressed(store, personalData, ada, second, 15);
    await cleared(store, ada);
    await progressed(store, personalData, ada, third, 5);
    await progressed(store, personalData, ada, third, 25);
    const stream = await store.readStream(playbackStreamName(ada));

    await deliver(db, stream);
    const oneAtATime = await rowsOf(db);
    t.deepEqual(
      oneAtATime.map((row) => [row.video_id, row.position_seconds, row.stream_position]),
      [[third, 25, 5]],
      'one at a time: only the video watched after the clear, at its latest report',
    );

    await db('playback_positions').delete();
    await db('playback_clears').delete();
    await deliverAsOneBatch(db, stream);
    t.deepEqual(await rowsOf(db), oneAtATime, 'as one batch: the same row');
    await deliverAsOneBatch(db, stream);
    t.deepEqual(await rowsOf(db), oneAtATime, 'and the same batch again changes nothing');
  },
);

scopedTest(
  'playback: a clear removes the viewer’s rows, replays of older reports do not bring them back, later reports count',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const [ada, bob, video] = [randomUUID(), randomUUID(), randomUUID()];
    await progressed(store, personalData, ada, video, 50);
    await progressed(store, personalData, bob, video, 60);
    await catchUp(store, db);
    await cleared(store, ada);
    await catchUp(store, db);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.user_id),
      [bob],
      'only the other viewer’s row is left',
    );

    const [before] = await store.readStream(playbackStreamName(ada));
    await deliver(db, [before!]);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.user_id),
      [bob],
      'the report before the clear, delivered again on its own, is not applied again',
    );

    await progressed(store, personalData, ada, video, 20);
    await catchUp(store, db);
    t.deepEqual(
      await db('playback_positions').where({ user_id: ada }).pluck('position_seconds'),
      [20],
      'a report after the clear counts',
    );
  },
);

scopedTest(
  'playback: an erased viewer’s rows go, and no replay brings them back; their events tell nothing of what they watched',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const personalData = createPersonalData(db);
    const [ada, bob, video] = [randomUUID(), randomUUID(), randomUUID()];
    await progressed(store, personalData, ada, video, 50);
    await cleared(store, ada);
    await progressed(store, personalData, ada, video, 70);
    await progressed(store, personalData, bob, video, 60);
    await catchUp(store, db);
    t.equal(await clearsOf(db, ada), 1, 'the clear is kept');

    await personalData.erase(ada);
    await store.write(identityStreamName(ada), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId: ada, by: ada },
      metadata: {},
    });
    await catchUp(store, db);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.user_id),
      [bob],
      'UserErased drops the erased viewer’s rows',
    );
    t.equal(await clearsOf(db, ada), 0, 'and their clear');

    const adas = await store.readStream(playbackStreamName(ada));
    t.notOk(
      adas.some((message) => JSON.stringify(message.data).includes(video)),
      'no event of theirs names the video in the clear',
    );
    await deliver(db, adas);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.user_id),
      [bob],
      'their reports, delivered again, open no more: no row',
    );

    // A rebuild from nothing, the erasures' part ahead of the reports' this time: the same.
    await db('playback_positions').delete();
    await db('playback_clears').delete();
    await db('subscriber_positions').where('subscriber_id', 'like', 'aggregators:playback%').delete();
    for (const subscription of aggregators(store, db).reverse()) await drain(subscription);
    t.deepEqual(
      (await rowsOf(db)).map((row) => row.user_id),
      [bob],
      'replayed from the start, only the other viewer’s row',
    );
    t.equal(await clearsOf(db), 0, 'and no clear of the erased viewer');
  },
);

scopedTest('playback: data that breaks the contract is skipped and recorded, never applied', async (t, scope) => {
  const { store, urls, pool } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const personalData = createPersonalData(db);
  const [ada, bob, video] = [randomUUID(), randomUUID(), randomUUID()];
  const write = (stream: string, data: unknown) =>
    pool.query('SELECT write_message($1, $2, $3, $4, $5)', [
      randomUUID(),
      stream,
      'PlaybackProgressed',
      JSON.stringify(data),
      '{}',
    ]);
  const sealed = await personalData.seal(ada, video);
  await write(playbackStreamName(ada), { userId: ada, videoId: video, positionSeconds: 10, durationSeconds: 60 });
  await write(playbackStreamName(ada), { userId: ada, videoId: sealed, positionSeconds: 100, durationSeconds: 60 });
  await write(playbackStreamName(ada), { userId: ada, videoId: sealed, positionSeconds: -1, durationSeconds: 60 });
  await write(playbackStreamName(bob), { userId: ada, videoId: sealed, positionSeconds: 10, durationSeconds: 60 });
  await write(playbackStreamName(ada), {
    userId: ada,
    videoId: { ...sealed, data: Buffer.from('tampered').toString('base64') },
    positionSeconds: 10,
    durationSeconds: 60,
  });
  await write(playbackStreamName(ada), {
    userId: ada,
    videoId: await personalData.seal(ada, 'not a video'),
    positionSeconds: 10,
    durationSeconds: 60,
  });
  await write(playbackStreamName(ada), { userId: ada, videoId: sealed, positionSeconds: 12.5, durationSeconds: 60 });
  await catchUp(store, db);
  t.deepEqual(await db('playback_positions').pluck('position_seconds'), [12.5], 'only the good report is applied');
  const skipped = await db('skipped_messages')
    .where({ subscriber_id: PLAYBACK_SUBSCRIBER_IDS.playback })
    .pluck('reason');
  t.equal(skipped.length, 6, 'each bad one is recorded');
  t.ok(
    skipped.some((reason: string) => reason.includes('not the stream of its viewer')),
    'a report in another viewer’s stream among them',
  );
});

for (const applied of ['after', 'before'] as const) {
  scopedTest(
    `playback: a report applied (${applied} the erasure is) while its viewer is being erased leaves no row behind`,
    async (t, scope) => {
      const { store, urls } = await openTestStore(scope);
      const db = openProjectionDb(scope, urls.databaseUrl);
      const personalData = createPersonalData(db);
      const [ada, video] = [randomUUID(), randomUUID()];
      await progressed(store, personalData, ada, video, 50);
      const [report] = await store.readStream(playbackStreamName(ada));
      const playback = projectionOf(playbackDefinition, PLAYBACK_SUBSCRIBER_IDS.playback);
      const erasures = projectionOf(playbackDefinition, PLAYBACK_SUBSCRIBER_IDS.erasures);

      // The reports' batch opens the video while the key still exists...
      const trx = await db.transaction();
      const parsed = await playback.parse(report!, trx);
      t.ok(parsed, 'the report opens: the viewer is not erased yet');
      // Written, not yet committed, before the key goes.
      if (applied === 'before') await playback.apply([parsed!], trx);
      // ...meanwhile the viewer is erased, and the erasures' part applies UserErased on its own connection.
      await personalData.erase(ada);
      await store.write(identityStreamName(ada), {
        id: randomUUID(),
        type: 'UserErased',
        data: { userId: ada, by: ada },
        metadata: {},
      });
      const erased = (await store.readStream(identityStreamName(ada))).at(-1)!;
      let settled = false;
      const erasing = db
        .transaction(async (other) => {
          const userId = await erasures.parse(erased, other);
          if (userId !== undefined) await erasures.apply([userId], other);
        })
        .finally(() => (settled = true));
      // Either it is done, or it waits on a lock the reports' batch holds.
      await waitUntil(
        'the erasure applied or waiting',
        async () =>
          settled || Number((await db.raw(`SELECT count(*) AS n FROM pg_locks WHERE NOT granted`)).rows[0].n) > 0,
      );
      if (applied === 'after') await playback.apply([parsed!], trx);
      await trx.commit();
      await erasing;
      t.deepEqual(await rowsOf(db), [], 'no row of the erased viewer survives');
    },
  );
}

scopedTest('playback: a batch takes as many statements for eight viewers as for one', async (t, scope) => {
  const { store, urls } = await openTestStore(scope);
  const db = openProjectionDb(scope, urls.databaseUrl);
  const personalData = createPersonalData(db);
  const projection = projectionOf(playbackDefinition, PLAYBACK_SUBSCRIBER_IDS.playback);
  const owner = { subscriber_id: PLAYBACK_SUBSCRIBER_IDS.playback, group_member: 0, group_size: 1 };
  const videoId = randomUUID();
  const one = randomUUID();
  const eight = Array.from({ length: 8 }, () => randomUUID());
  for (const userId of [one, one, ...eight]) await progressed(store, personalData, userId, videoId, 30);
  const reports = await store.readCategory('playback', { fromPosition: 0, batchSize: 100 });

  /** Applies the reports of `userIds` as one batch; the statements it sent. */
  async function statementsFor(userIds: readonly string[]): Promise<number> {
    const batch = reports.filter((message) => userIds.some((id) => message.streamName.endsWith(id)));
    let sent = 0;
    await db.transaction(async (trx) => {
      trx.on('query', () => (sent += 1));
      await applyProjectionBatch(projection, batch, trx, owner);
    });
    return sent;
  }

  const forOne = await statementsFor([one]);
  const forEight = await statementsFor(eight);
  t.equal(forEight, forOne, `${forOne} statements for two reports by one viewer, and for eight by eight`);
  t.equal((await rowsOf(db)).length, 9, 'every viewer has their row');
});
