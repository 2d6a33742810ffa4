import { VIDEO_PUBLISHING_CATEGORY, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { videoPublishingEventSchemas } from '../../src/contracts/video-publishing.ts';
import { createDispatcher } from '../../src/contracts/parse.ts';
import {
  createQueueingHandlers,
  createSettledLookahead,
} from '../../src/components/video-publishing/handlers/queueing.ts';
import { createTranscodeQueue } from '../../src/components/video-publishing/scheduling/transcode-queue.ts';
import type { MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { createComponentProcessor } from '../../src/subscription/component-processor.ts';
import type { VideoStore } from '../../src/video-store/index.ts';
import { controls, newVideo, writeEvents } from '../fixtures/catalog-events.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { processorContext } from '../helpers/subscribers.ts';

// A catch-up hands the transcoding queue thousands of acceptances of videos long published: each
// one read on its own waited its turn on the event loop. The batch's are read in one go.

async function setUp(store: MessageStore) {
  const settled = [newVideo(), newVideo(), newVideo()];
  const waiting = newVideo();
  for (const video of settled) await writeEvents(store, video, controls.accepted(video), controls.published(video));
  await writeEvents(store, waiting, controls.accepted(waiting));
  const batch = await store.readCategory(VIDEO_PUBLISHING_CATEGORY, { batchSize: -1 });
  return { settled, waiting, batch };
}

/** The store with its reads of one video and of several counted. */
function counting(store: MessageStore) {
  const reads = { project: 0, projectEach: 0 };
  const counted: MessageStore = Object.assign(Object.create(store) as MessageStore, {
    project: (...args: Parameters<MessageStore['project']>) => ((reads.project += 1), store.project(...args)),
    projectEach: (...args: Parameters<MessageStore['projectEach']>) => (
      (reads.projectEach += 1),
      store.projectEach(...args)
    ),
  });
  return { reads, counted };
}

function queueing(messageStore: MessageStore, prepare?: (batch: readonly RawMessage[]) => Promise<void>) {
  const quota = { running: 5, queued: 5 };
  const queue = createTranscodeQueue(quota);
  const lookahead = createSettledLookahead(messageStore);
  const handle = createDispatcher(
    videoPublishingEventSchemas,
    createQueueingHandlers({
      messageStore,
      logger: processorContext().logger,
      videoStore: {} as VideoStore,
      queue,
      quota,
      lookahead,
    }),
  );
  const processor = createComponentProcessor({
    messageStore,
    subscriberId: 'components:test:lookahead',
    handle,
    prepare: prepare ?? lookahead.prepare,
  });
  return { queue, processor };
}

scopedTest(
  'transcoding queue: a batch of acceptances reads its settled videos once, not once each',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const { settled, waiting, batch } = await setUp(store);
    const { reads, counted } = counting(store);
    const { queue, processor } = queueing(counted);
    await processor.process(batch, 0, processorContext());
    t.deepEqual(reads, { project: 1, projectEach: 1 }, 'one read for the batch; the one not settled read again');
    t.ok(queue.has(waiting.videoId), 'the video not yet converted is queued');
    t.notOk(
      settled.some((video) => queue.has(video.videoId)),
      'the published ones are not',
    );

    const again = queueing(counted);
    await again.processor.process(batch, 0, processorContext());
    t.ok(again.queue.has(waiting.videoId), 'delivered again: queued again, as a restart would');
    t.notOk(
      settled.some((video) => again.queue.has(video.videoId)),
      'and the published ones still not',
    );
  },
);

scopedTest('transcoding queue: a read-ahead that fails loses only itself; an outage is thrown', async (t, scope) => {
  const { store } = openMemoryStore(scope);
  const { settled, waiting, batch } = await setUp(store);
  const { reads, counted } = counting(store);
  const broken = queueing(counted, () => Promise.reject(new Error('a bug in the read-ahead')));
  await broken.processor.process(batch, 0, processorContext());
  t.deepEqual(reads, { project: 4, projectEach: 0 }, 'each acceptance read its own video');
  t.ok(broken.queue.has(waiting.videoId), 'the one not converted is queued all the same');
  t.notOk(
    settled.some((video) => broken.queue.has(video.videoId)),
    'the published ones are not',
  );

  const outage = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  const down = queueing(counted, () => Promise.reject(outage));
  const thrown = await down.processor.process(batch, 0, processorContext()).then(
    () => undefined,
    (error: unknown) => error,
  );
  t.equal(thrown, outage, 'the database down: the batch is given back to be read again');
  t.notOk(down.queue.has(waiting.videoId), 'and nothing of it was handled');
});

scopedTest(
  'transcoding queue: a video this process finishes between the read-ahead and its acceptance is not queued again, nor holds its creator’s place',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const ownerId = newVideo().ownerId;
    const [first, second] = [
      { ...newVideo(), ownerId },
      { ...newVideo(), ownerId },
    ];
    const [accepted] = await writeEvents(store, first, controls.accepted(first));
    await writeEvents(store, second, controls.accepted(second));
    const batch = await store.readCategory(VIDEO_PUBLISHING_CATEGORY, { batchSize: -1 });

    const quota = { running: 1, queued: 0 };
    const queue = createTranscodeQueue(quota);
    const lookahead = createSettledLookahead(store);
    const handle = createDispatcher(
      videoPublishingEventSchemas,
      createQueueingHandlers({
        messageStore: store,
        logger: processorContext().logger,
        videoStore: { remove: async () => undefined } as unknown as VideoStore,
        queue,
        quota,
        lookahead,
      }),
    );
    // The first is in hand, being converted, when its acceptance is delivered again (a reload of the position).
    queue.add({ videoId: first.videoId, ownerId, accepted: accepted as never });
    t.equal(queue.take()?.videoId, first.videoId, 'the first is being converted');
    await lookahead.prepare(batch);
    // …and its worker finishes before the batch is handled.
    await writeEvents(store, first, controls.published(first));
    queue.done(first.videoId);
    for (const message of batch) await handle(message);

    t.notOk(queue.has(first.videoId), 'the finished video is not queued again');
    t.ok(queue.has(second.videoId), 'the creator’s next upload takes the place');
    const refused = (await store.readStream(videoPublishingStreamName(second.videoId))).filter(
      (message) => message.type === 'VideoPublishingFailed',
    );
    t.equal(refused.length, 0, 'and is not refused');
  },
);
