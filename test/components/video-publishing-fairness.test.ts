import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { publishVideoControl } from '../../src/components/video-publishing/controls.ts';
import { createQueueingHandlers, creatorBusyReason } from '../../src/components/video-publishing/handlers/queueing.ts';
import { createTranscodeQueue } from '../../src/components/video-publishing/scheduling/transcode-queue.ts';
import { createDispatcher } from '../../src/contracts/parse.ts';
import { type MessageStore, type RawMessage } from '../../src/message-store/index.ts';
import { videoPublishingEventSchemas } from '../../src/contracts/video-publishing.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { silentLogger } from '../helpers/databases.ts';
import { drain, processorContext } from '../helpers/subscribers.ts';
import type { ComponentProcessor } from '../../src/subscription/component-processor.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  eventOf,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { ffmpegWrapper, makeVideo, tempDir, upload } from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// Transcoding shared fairly between creators (issue 14 §2): creators in turn, a quota each, and
// a queue that a restart rebuilds from the events.

/** A creator's video, uploaded and sent for publishing; its acceptance waits for the command subscriber. */
async function send(
  store: MessageStore,
  videoStore: ReturnType<typeof videoStoreIn>,
  ownerId: string,
  file: string,
): Promise<string> {
  const publish = publishVideoControl({ ownerId });
  await upload(videoStore, publish.data.videoId, file);
  await writeCommand(store, publish);
  return publish.data.videoId;
}

/** Global position of the video's first event of `type`. */
async function positionOf(store: MessageStore, videoId: string, type: string): Promise<number> {
  return (await waitUntil(`${type} of ${videoId}`, () => eventOf(store, videoId, type), { timeoutMs: 30_000 }))
    .globalPosition;
}

scopedTest(
  'video-publishing fairness: creator A sends three long videos, then creator B a short one: B’s is published before A’s second',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    // Read at the video's own pace: a 2-second video takes 2 seconds to transcode, on any machine.
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const [long, short] = [await makeVideo(dir, { seconds: 2 }), await makeVideo(dir, { seconds: 1 })];
    const ada = crypto.randomUUID();
    const bob = crypto.randomUUID();
    const adas: string[] = [];
    for (let n = 0; n < 3; n += 1) adas.push(await send(store, videoStore, ada, long));
    await positionOf(store, adas[0]!, 'VideoTranscodingStarted');
    const sentAt = Date.now();
    const bobs = await send(store, videoStore, bob, short);

    const bobPublished = await positionOf(store, bobs, 'VideoPublished');
    const waited = Date.now() - sentAt;
    const adaSecondStarted = await positionOf(store, adas[1]!, 'VideoTranscodingStarted');
    t.ok(
      bobPublished < adaSecondStarted,
      `B's video was published (after ${waited} ms) before A's second even started`,
    );
    t.ok(
      (await positionOf(store, adas[0]!, 'VideoPublished')) < bobPublished,
      'A’s first, already running, was not cut short',
    );
  },
);

scopedTest(
  'video-publishing fairness: with two transcoders, two creators’ videos run side by side, but never two of one creator’s',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path, transcodeConcurrency: 2 });
    t.equal(
      component.subscriptions.length,
      2,
      'one command subscriber and one transcoding subscriber, whatever the concurrency',
    );
    const source = await makeVideo(dir, { seconds: 2 });
    const ada = crypto.randomUUID();
    const [a1, a2] = [await send(store, videoStore, ada, source), await send(store, videoStore, ada, source)];
    const b1 = await send(store, videoStore, crypto.randomUUID(), source);
    for (const subscription of component.subscriptions) subscription.start();

    const [a1Started, b1Started] = [
      await positionOf(store, a1, 'VideoTranscodingStarted'),
      await positionOf(store, b1, 'VideoTranscodingStarted'),
    ];
    const [a1Published, b1Published] = [
      await positionOf(store, a1, 'VideoPublished'),
      await positionOf(store, b1, 'VideoPublished'),
    ];
    t.ok(
      Math.max(a1Started, b1Started) < Math.min(a1Published, b1Published),
      'A’s first and B’s started before either was published: they ran together',
    );
    t.ok(
      (await positionOf(store, a2, 'VideoTranscodingStarted')) > a1Published,
      'A’s second waited for A’s first, with a transcoder free',
    );
    await positionOf(store, a2, 'VideoPublished');
    for (const videoId of [a1, a2, b1])
      t.equal(
        (await typesOf(store, videoId)).filter((type) => type === 'VideoPublished').length,
        1,
        'each published once',
      );
  },
);

scopedTest(
  'video-publishing fairness: past the creator’s quota a video fails at once, saying why, and its upload is not kept',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const quota = { running: 1, queued: 1 };
    const component = videoPublishing(scope, store, videoStore, { creatorQuota: quota });
    const source = await makeVideo(dir);
    const ada = crypto.randomUUID();
    const videos = [];
    for (let n = 0; n < 3; n += 1) videos.push(await send(store, videoStore, ada, source));
    const bobs = await send(store, videoStore, crypto.randomUUID(), source);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(
      await typesOf(store, videos[2]!),
      ['VideoPublishingAccepted', 'VideoPublishingFailed'],
      'the third in hand at once: failed, never started',
    );
    t.equal(
      ((await eventOf(store, videos[2]!, 'VideoPublishingFailed'))?.data as { reason: string }).reason,
      creatorBusyReason(quota),
      `saying why ("${creatorBusyReason(quota)}")`,
    );
    t.equal(
      await videoStore.stat(publishVideoControl({ videoId: videos[2]! }).data.sourceUri),
      undefined,
      'its upload deleted',
    );
    for (const videoId of [videos[0]!, videos[1]!, bobs])
      t.equal((await typesOf(store, videoId)).at(-1), 'VideoPublished', 'the others published');
  },
);

scopedTest(
  'video-publishing fairness: a video waiting in the queue when the process stops is transcoded after the restart (the stored position stays below it)',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const first = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of first.subscriptions) subscription.start();
    const source = await makeVideo(dir, { seconds: 5 });
    const running = await send(store, videoStore, crypto.randomUUID(), source);
    const waiting = await send(store, videoStore, crypto.randomUUID(), source);
    await positionOf(store, running, 'VideoTranscodingStarted');
    // The queue has read the waiting one's acceptance (and written nothing for it) before the stop.
    const waitingAccepted = await positionOf(store, waiting, 'VideoPublishingAccepted');
    await waitUntil('the transcoder to read past it', () => first.transcoder.status().position >= waitingAccepted);
    await Promise.all(first.subscriptions.map((subscription) => subscription.stop()));
    t.deepEqual(await typesOf(store, waiting), ['VideoPublishingAccepted'], 'the waiting one had not started');
    const runningAccepted = await positionOf(store, running, 'VideoPublishingAccepted');
    const stored = (await store.readLastMessage('subscriberPosition-components:video-publishing:transcoding'))?.data as
      { position: number } | undefined;
    t.ok(
      (stored?.position ?? 0) < runningAccepted,
      `the stored position (${stored?.position}) is below the oldest video in hand (${runningAccepted})`,
    );
    t.ok(first.transcoder.status().checkpoint < runningAccepted, 'and the status says so');

    const second = videoPublishing(scope, store, videoStore);
    for (const subscription of second.subscriptions) subscription.start();
    await positionOf(store, waiting, 'VideoPublished');
    await positionOf(store, running, 'VideoPublished');
    t.pass('after the restart both are published');
  },
);

scopedTest(
  'video-publishing fairness: the queue takes an acceptance delivered twice once, and none whose video has an outcome',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const queue = createTranscodeQueue();
    const deliver = createDispatcher(
      videoPublishingEventSchemas,
      createQueueingHandlers({
        messageStore: store,
        logger: silentLogger,
        videoStore,
        queue,
        quota: { running: 1, queued: 3 },
      }),
    );
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    const stream = videoPublishingStreamName(videoId);
    await store.write(stream, {
      id: crypto.randomUUID(),
      type: 'VideoPublishingAccepted',
      data: publish.data,
      metadata: publish.metadata,
    });
    const [accepted] = (await store.readStream(stream)) as [RawMessage];

    await deliver(accepted);
    await deliver(accepted);
    t.deepEqual(queue.counts(), { queued: 1, running: 0 }, 'queued once');
    const taken = queue.take()!;
    queue.done(taken.videoId);
    await store.write(stream, {
      id: crypto.randomUUID(),
      type: 'VideoPublishingFailed',
      data: { ownerId, videoId, reason: 'x' },
      metadata: {},
    });
    await deliver(accepted);
    t.deepEqual(queue.counts(), { queued: 0, running: 0 }, 'a redelivery after its outcome queues nothing');
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoPublishingFailed'],
      'and writes nothing',
    );
  },
);

scopedTest(
  'video-publishing fairness: an operator’s replay of a parked acceptance transcodes it there and then, with no worker running (a web process)',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore);
    const publish = publishVideoControl();
    // Sent before its upload reached this machine's store: parked for the operator.
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);
    const [parked] = await store.readStream('deadLetter-components:video-publishing:transcoding');
    t.ok(parked, 'parked');

    await upload(videoStore, publish.data.videoId, await makeVideo(dir));
    // As the admin portal of a web process does it: through the subscriber's processor, nothing started.
    const outcome = await (component.transcoder.processor as ComponentProcessor).replay(parked!, processorContext());
    t.equal(outcome, 'handled', 'handled');
    t.equal(
      (await typesOf(store, publish.data.videoId)).at(-1),
      'VideoPublished',
      'and published by the replay itself',
    );
  },
);
