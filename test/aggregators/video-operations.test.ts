import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { liveSubscriptions, projectionOf } from '../../src/aggregators/definition.ts';
import {
  videoOperationsDefinition,
  VIDEO_OPERATIONS_SUBSCRIBER_IDS,
} from '../../src/aggregators/video-operations/index.ts';
import {
  describeVideoControl,
  nameVideoControl,
  publishVideoControl,
  unpublishVideoControl,
} from '../../src/components/video-publishing/controls.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { createAggregatorProcessor } from '../../src/subscription/aggregator-processor.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain, openProjectionDb, processorContext } from '../helpers/subscribers.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { videoPublishing, videoStoreIn, writeCommand } from '../fixtures/video-publishing-component.ts';
import { tempDir } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { uriOfKey, videoKeys } from '../../src/video-store/index.ts';

interface Row {
  trace_id: string;
  video_id: string;
  user_id: string;
  kind: string;
  status: string;
  reason: string | null;
  updated_at: Date;
}

function aggregator(store: MessageStore, db: Knex) {
  return liveSubscriptions(videoOperationsDefinition, {
    db,
    messageStore: store,
    logger: silentLogger,
    subscription: { retry: FAST_RETRY },
  });
}

async function catchUp(store: MessageStore, db: Knex): Promise<void> {
  for (const subscription of aggregator(store, db)) await drain(subscription);
}

async function operation(db: Knex, traceId: string): Promise<Row | undefined> {
  return db('video_operations').where({ trace_id: traceId }).first<Row | undefined>('*');
}

async function allRows(db: Knex): Promise<Row[]> {
  return db('video_operations').orderBy('trace_id').select<Row[]>('*');
}

const traceOf = (message: { metadata: { traceId?: string } }): string => message.metadata.traceId!;

scopedTest(
  'video-operations: each command is pending until the component answers it, then done or failed with the reason (the real component)',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const dir = await tempDir(scope);
    const component = videoPublishing(scope, store, videoStoreIn(dir));
    const [commandsSubscriber, outcomesSubscriber] = aggregator(store, db);
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    const stranger = randomUUID();
    const name = nameVideoControl(videoId, '  Streams and categories  ', ownerId);
    const strangersName = nameVideoControl(videoId, 'Mine now', stranger);
    const describe = describeVideoControl(videoId, 'What a stream is.', ownerId);
    const unpublish = unpublishVideoControl(videoId, ownerId);
    const recorded = [];
    for (const command of [publish, name, strangersName, describe, unpublish])
      recorded.push(await writeCommand(store, command));
    await drain(commandsSubscriber);
    const pending = await operation(db, traceOf(name));
    t.deepEqual(
      pending,
      {
        trace_id: traceOf(name),
        video_id: videoId,
        user_id: ownerId,
        kind: 'name',
        status: 'pending',
        reason: null,
        updated_at: recorded[1]!.time,
      },
      "pending, by who asked, at the command's time",
    );

    // Only the command subscriber runs: the publish is accepted, not transcoded.
    await drain(component.commands);
    await drain(outcomesSubscriber);
    const summary = (await allRows(db)).map((row) => [
      row.kind,
      row.user_id === stranger ? 'stranger' : 'owner',
      row.status,
      row.reason,
    ]);
    t.deepEqual(
      summary.sort(),
      [
        ['describe', 'owner', 'done', null],
        ['name', 'owner', 'done', null],
        ['name', 'stranger', 'failed', 'only the video’s owner can change it'],
        ['publish', 'owner', 'pending', null],
        ['unpublish', 'owner', 'failed', 'the video has not been converted'],
      ],
      'the answers, found by the trace the component carried from each command; the publish waits for its transcode',
    );

    // The transcoder's outcome follows the acceptance, which followed the command: the same trace.
    await writeEvents(
      store,
      { videoId, ownerId },
      controls.failed({ videoId, ownerId }, 'not a video', { traceId: traceOf(publish), userId: ownerId }),
    );
    await drain(outcomesSubscriber);
    t.deepEqual(
      [(await operation(db, traceOf(publish)))?.status, (await operation(db, traceOf(publish)))?.reason],
      ['failed', 'not a video'],
      'the publish settled by its outcome',
    );
  },
);

scopedTest(
  'video-operations: a publish the component rejects (not the owner) settles as failed with the reason',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const component = videoPublishing(scope, store, videoStoreIn(await tempDir(scope)));
    const [commandsSubscriber, outcomesSubscriber] = aggregator(store, db);
    const publish = publishVideoControl();
    // Someone else asks to publish it in the owner's name.
    const forged = { ...publish, metadata: { ...publish.metadata, userId: randomUUID() } };
    await writeCommand(store, forged);
    await drain(commandsSubscriber);
    await drain(component.commands);
    await drain(outcomesSubscriber);
    const row = await operation(db, traceOf(forged));
    t.equal(row?.status, 'failed', 'the operation is settled, not left pending');
    t.ok(row?.reason, `with the component's reason (${row?.reason})`);
  },
);

scopedTest(
  'video-operations: an outcome read before its command makes the row, and the late command leaves it settled',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [commandsSubscriber, outcomesSubscriber] = aggregator(store, db);
    const video = newVideo();
    const rename = nameVideoControl(video.videoId, 'Renamed', video.ownerId);
    const metadata = { traceId: traceOf(rename), userId: video.ownerId };
    await writeCommand(store, rename);
    const [answer] = await writeEvents(store, video, controls.named(video, 'Renamed', metadata));

    await drain(outcomesSubscriber);
    const settled = {
      trace_id: traceOf(rename),
      video_id: video.videoId,
      user_id: video.ownerId,
      kind: 'name',
      status: 'done',
      reason: null,
      updated_at: answer!.time,
    };
    t.deepEqual(await operation(db, traceOf(rename)), settled, 'done, from the outcome alone');
    await drain(commandsSubscriber);
    t.deepEqual(await operation(db, traceOf(rename)), settled, 'a pending read later does not undo it');

    // A second answer on a settled trace (another writer, a replay) does not change it either.
    await writeEvents(
      store,
      video,
      controls.nameRejected(video, 'Renamed', 'the video already has that name', metadata),
    );
    await drain(outcomesSubscriber);
    t.deepEqual(await operation(db, traceOf(rename)), settled, 'decided once');
  },
);

scopedTest(
  'video-operations: two answers on one trace in one batch: the first decides, in one statement',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const metadata = { traceId: randomUUID(), userId: video.ownerId };
    const answers = await writeEvents(
      store,
      video,
      controls.named(video, 'First', metadata),
      controls.nameRejected(video, 'First', 'the video already has that name', metadata),
    );
    const projections = {
      commands: projectionOf(videoOperationsDefinition, VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands),
      outcomes: projectionOf(videoOperationsDefinition, VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes),
    };
    // Straight to the projection: the engine would mend a failed batch by applying its messages one by one.
    await db.transaction(async (trx) =>
      projections.outcomes.apply(
        (await Promise.all(answers.map((answer) => projections.outcomes.parse(answer, trx)))).filter(
          (row) => row !== undefined,
        ),
        trx,
      ),
    );
    t.deepEqual([(await operation(db, metadata.traceId))?.status], ['done'], 'done, by the first answer');
  },
);

scopedTest(
  'video-operations: a replay changes nothing: batches delivered twice, positions moved back',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const publish = publishVideoControl(video);
    const rename = nameVideoControl(video.videoId, 'Bad\nname', video.ownerId);
    await writeCommand(store, publish);
    await writeCommand(store, rename);
    await writeEvents(
      store,
      video,
      controls.accepted(video, publish.metadata),
      controls.nameRejected(video, 'Bad\nname', 'a name must be one line of plain text', rename.metadata),
      controls.published(video, publish.metadata),
    );
    await catchUp(store, db);
    const before = await allRows(db);
    t.deepEqual(before.map((row) => [row.kind, row.status]).sort(), [
      ['name', 'failed'],
      ['publish', 'done'],
    ]);

    const projections = {
      commands: projectionOf(videoOperationsDefinition, VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands),
      outcomes: projectionOf(videoOperationsDefinition, VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes),
    };
    await createAggregatorProcessor({
      db,
      subscriberId: VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands,
      projection: projections.commands,
    }).process(await store.readCategory('videoPublishing:command'), 0, processorContext());
    await createAggregatorProcessor({
      db,
      subscriberId: VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes,
      projection: projections.outcomes,
    }).process(await store.readCategory('videoPublishing'), 0, processorContext());
    t.deepEqual(await allRows(db), before, 'the same batches again change nothing');

    await db('subscriber_positions').whereIn('subscriber_id', Object.values(VIDEO_OPERATIONS_SUBSCRIBER_IDS)).del();
    await catchUp(store, db);
    t.deepEqual(await allRows(db), before, 'a replay from the start changes nothing');
  },
);

scopedTest(
  'video-operations: an event with no trace is passed over; a command without one breaks the contract and is recorded',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const untraced = nameVideoControl(video.videoId, 'No trace', video.ownerId);
    await writeCommand(store, { ...untraced, metadata: { userId: video.ownerId } });
    await writeCommand(store, {
      ...nameVideoControl(video.videoId, 'Odd trace', video.ownerId),
      metadata: { userId: video.ownerId, traceId: 'not-a-uuid' },
    });
    const fine = nameVideoControl(video.videoId, 'Fine', video.ownerId);
    await writeCommand(store, fine);
    await writeEvents(
      store,
      video,
      controls.named(video, 'Written by a tool'),
      controls.named(video, 'Fine', fine.metadata),
    );
    await catchUp(store, db);

    t.deepEqual(
      (await allRows(db)).map((row) => [row.trace_id, row.status]),
      [[traceOf(fine), 'done']],
      'only the traced action has a row',
    );
    const skipped = await db('skipped_messages')
      .orderBy('global_position')
      .select<{ subscriber_id: string; reason: string }[]>('subscriber_id', 'reason');
    t.deepEqual(
      skipped.map((entry) => entry.subscriber_id),
      [VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands, VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands],
      'the two commands on record; the untraced event is not a fault',
    );
    t.match(skipped[0]?.reason ?? '', /metadata\.traceId/, 'the missing trace named');
    t.match(skipped[1]?.reason ?? '', /metadata\.traceId/, 'and the malformed one');
  },
);

/** A message as a test writes it, on a trace of its own choosing. */
const message = (type: string, data: Record<string, unknown>, metadata: { traceId: string; userId: string }) => ({
  id: randomUUID(),
  type,
  data,
  metadata,
});

scopedTest(
  "video-operations: an upload's title and description share its trace, yet their answers do not settle the upload: each command kind is its own operation, whichever subscriber comes first",
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const [commandsSubscriber, outcomesSubscriber] = aggregator(store, db);
    for (const outcomeFirst of [false, true]) {
      const video = newVideo();
      const metadata = { traceId: randomUUID(), userId: video.ownerId };
      await writeCommand(store, publishVideoControl({ ...video, visibility: 'draft' }, metadata));
      await writeCommand(store, message('NameVideo', { videoId: video.videoId, name: 'Knots' }, metadata));
      await writeEvents(store, video, controls.accepted(video, metadata), controls.named(video, 'Knots', metadata));
      for (const subscriber of outcomeFirst
        ? [outcomesSubscriber, commandsSubscriber]
        : [commandsSubscriber, outcomesSubscriber])
        await drain(subscriber);
      const kinds = async () =>
        (
          await db('video_operations')
            .where({ trace_id: metadata.traceId })
            .orderBy('kind')
            .select<Row[]>('kind', 'status')
        ).map((row) => [row.kind, row.status]);
      const order = outcomeFirst ? 'outcomes read first' : 'commands read first';
      t.deepEqual(
        await kinds(),
        [
          ['name', 'done'],
          ['publish', 'pending'],
        ],
        `${order}: the title is saved, the upload still converting`,
      );
      await writeEvents(store, video, controls.published(video, metadata));
      await drain(outcomesSubscriber);
      t.deepEqual(
        await kinds(),
        [
          ['name', 'done'],
          ['publish', 'done'],
        ],
        `${order}: then the conversion settles the upload`,
      );
    }
  },
);

scopedTest(
  'video-operations: visibility, delete and poster commands are followed to their answers (done, or failed with the reason)',
  async (t, scope) => {
    const { store, urls } = await openTestStore(scope);
    const db = openProjectionDb(scope, urls.databaseUrl);
    const video = newVideo();
    const { videoId, ownerId } = video;
    const cases = [
      [
        'visibility',
        message('SetVideoVisibility', { videoId, visibility: 'public' }, { traceId: randomUUID(), userId: ownerId }),
        'VideoVisibilityChanged',
        { videoId, visibility: 'public' },
      ],
      [
        'visibility',
        message('SetVideoVisibility', { videoId, visibility: 'public' }, { traceId: randomUUID(), userId: ownerId }),
        'VideoVisibilityRejected',
        { videoId, visibility: 'public', reason: 'the video already has that visibility' },
      ],
      [
        'poster',
        message('ChooseVideoPoster', { videoId, candidate: 2 }, { traceId: randomUUID(), userId: ownerId }),
        'VideoPosterChanged',
        { videoId, posterUri: uriOfKey(videoKeys.posterCandidate(videoId, 2)) },
      ],
      [
        'poster',
        message(
          'UploadVideoPoster',
          { videoId, imageUri: uriOfKey(videoKeys.posterUpload(videoId, randomUUID())) },
          { traceId: randomUUID(), userId: ownerId },
        ),
        'VideoPosterRejected',
        { videoId, reason: 'the image could not be read' },
      ],
      [
        'delete',
        message('DeleteVideo', { videoId }, { traceId: randomUUID(), userId: ownerId }),
        'VideoDeleteRejected',
        { videoId, reason: 'only the video’s owner can change it' },
      ],
      [
        'delete',
        message('DeleteVideo', { videoId }, { traceId: randomUUID(), userId: ownerId }),
        'VideoDeleted',
        { videoId, ownerId },
      ],
    ] as const;
    for (const [, command, answer, data] of cases) {
      await writeCommand(store, command);
      await writeEvents(store, video, message(answer, data, command.metadata));
    }
    await catchUp(store, db);
    await catchUp(store, db);
    const rows = await allRows(db);
    t.deepEqual(
      cases.map(([, command]) => {
        const row = rows.find((each) => each.trace_id === command.metadata.traceId);
        return [row?.kind, row?.status, row?.reason];
      }),
      [
        ['visibility', 'done', null],
        ['visibility', 'failed', 'the video already has that visibility'],
        ['poster', 'done', null],
        ['poster', 'failed', 'the image could not be read'],
        ['delete', 'failed', 'only the video’s owner can change it'],
        ['delete', 'done', null],
      ],
      'settled by their answers, once (read twice)',
    );
  },
);
