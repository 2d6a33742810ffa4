import { randomUUID } from 'node:crypto';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { createQueueingHandlers } from '../../src/components/video-publishing/handlers/queueing.ts';
import { createTranscodeQueue } from '../../src/components/video-publishing/scheduling/transcode-queue.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { message } from '../helpers/message-store.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'transcoding queue: a video taken down while it waits leaves the queue, and its creator’s place with it',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const quota = { running: 1, queued: 0 };
    const queue = createTranscodeQueue(quota);
    // Nothing is stored or removed on these paths.
    const videoStore = {} as VideoStore;
    const handlers = createQueueingHandlers({ messageStore: store, logger: silentLogger, videoStore, queue, quota });
    const ownerId = randomUUID();
    const videoId = randomUUID();
    const stream = videoPublishingStreamName(videoId);
    await store.write(
      stream,
      message('VideoPublishingAccepted', { ownerId, videoId, sourceUri: uriOfKey(videoKeys.source(videoId)) }),
    );
    const [accepted] = await store.readStream(stream);
    await handlers.VideoPublishingAccepted!(accepted as never);
    t.ok(queue.has(videoId), 'queued');
    t.notOk(queue.admits(ownerId), 'which fills the creator’s place');

    await store.write(stream, message('VideoTakenDown', { videoId, reason: 'Copyright claim' }));
    const takenDown = (await store.readStream(stream))[1];
    await handlers.VideoTakenDown!(takenDown as never);
    t.notOk(queue.has(videoId), 'taken down: out of the queue, never to be transcoded');
    t.ok(queue.admits(ownerId), 'and the creator may upload another');
  },
);
