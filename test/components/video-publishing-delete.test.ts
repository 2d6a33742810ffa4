import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createVideoPublishingComponent } from '../../src/components/video-publishing/index.ts';
import {
  deleteVideoControl,
  nameVideoControl,
  publishVideoControl,
} from '../../src/components/video-publishing/controls.ts';
import { videoProjection } from '../../src/components/video-publishing/video.ts';
import { REJECTION_REASONS, videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { VersionConflictError, type RawMessage } from '../../src/message-store/index.ts';
import { videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import { silentLogger } from '../helpers/databases.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { FAST_RETRY } from '../helpers/test-system.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { recordingStore } from '../fixtures/identity-controls.ts';
import {
  eventOf,
  eventsOf,
  recordPublished,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { FFMPEG, FFPROBE, ffmpegWrapper, isAlive, makeVideo, tempDir, upload } from '../fixtures/video-sources.ts';
import { PARTIAL_DIR } from '../../src/video-store/partials.ts';

// Deletion on PostgreSQL: racing a rename, and arriving while the video converts.

/** The files and folders on disk that name the video, whatever their kind, and any write in progress (partial files are named after their key). */
async function onDisk(dir: string, videoId: string): Promise<string[]> {
  const entries = await readdir(path.join(dir, 'videos'), { recursive: true }).catch(() => []);
  return entries.filter((entry) => entry.includes(videoId)).sort();
}

const finished = (entries: string[]) => entries.filter((entry) => !entry.startsWith(`${PARTIAL_DIR}/`));

async function storeEveryFile(videoStore: VideoStore, videoId: string): Promise<void> {
  const keys = [
    videoKeys.source(videoId),
    videoKeys.transcoded(videoId),
    videoKeys.poster(videoId),
    videoKeys.posterCandidate(videoId, 0),
  ];
  for (const key of keys) await videoStore.put(key, Readable.from([Buffer.from('bytes')]));
}

const RACES = 3;

scopedTest(
  `video-publishing (PostgreSQL): a delete racing a rename, ${RACES} times, ends consistent: one wins, the other decides on what it did`,
  async (t, scope) => {
    const { store } = await openTestStore(scope, undefined, { max: 6 });
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const racing = recordingStore(store);
    // Two components, as two processes would be: nothing shared but the database (and the gate that makes the race certain).
    const component = () =>
      createVideoPublishingComponent({
        messageStore: racing,
        logger: silentLogger,
        videoStore,
        ffmpegPath: FFMPEG,
        ffprobePath: FFPROBE,
        subscription: { retry: FAST_RETRY },
      });
    const [first, second] = [component(), component()];

    for (let race = 1; race <= RACES; race += 1) {
      const publish = publishVideoControl();
      const { videoId, ownerId } = publish.data;
      await first.handlers.commands(await writeCommand(store, publish));
      await recordPublished(store, publish.data);
      await storeEveryFile(videoStore, videoId);
      const rename = await writeCommand(store, nameVideoControl(videoId, 'Renamed at the last moment', ownerId));
      const remove = await writeCommand(store, deleteVideoControl(videoId, ownerId));

      // Both read the video before either writes: the race is certain, not left to timing.
      racing.holdWrites(2);
      const results = await Promise.allSettled([first.handlers.commands(rename), second.handlers.commands(remove)]);
      const conflicts = results.filter(
        (result) => result.status === 'rejected' && result.reason instanceof VersionConflictError,
      );
      t.equal(conflicts.length, 1, `race ${race}: one of the two met the version it expected gone`);
      // As the engine retries a conflict; and a redelivery of the winner, harmlessly.
      await first.handlers.commands(rename);
      await second.handlers.commands(remove);
      const [deleted] = (await eventsOf(store, videoId)).filter((event) => event.type === 'VideoDeleted');
      await first.handlers.transcoding(deleted!);

      const answers = (await eventsOf(store, videoId))
        .slice(2)
        .map((event) => [event.type, (event.data as { reason?: string }).reason]);
      const renameFirst = [
        ['VideoNamed', undefined],
        ['VideoDeleted', undefined],
      ];
      const deleteFirst = [
        ['VideoDeleted', undefined],
        ['VideoNameRejected', REJECTION_REASONS.deleted],
      ];
      t.ok(
        [renameFirst, deleteFirst].some((order) => JSON.stringify(order) === JSON.stringify(answers)),
        `race ${race}: renamed then deleted, or deleted then the rename refused (${answers.map(([type]) => type).join(', ')})`,
      );
      const { state } = await store.project(videoPublishingStreamName(videoId), videoProjection);
      t.equal(state.status, 'deleted', `race ${race}: the video ends deleted`);
      t.deepEqual(await onDisk(dir, videoId), [], `race ${race}: and its files are gone`);
    }
  },
);

scopedTest(
  'video-publishing (PostgreSQL): a video deleted while it converts: its ffmpeg is killed, nothing is published, and no file is left',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    // A minute read at its own pace: still converting long after the deletion.
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 60, width: 160, height: 120, audio: false }));
    await writeCommand(store, publish);
    await waitUntil('transcoding to progress', () => eventOf(store, videoId, 'VideoTranscodingProgressed'), {
      timeoutMs: 30_000,
    });
    const [pid] = await slow.runs();
    scope.add(pid, (ffmpeg) => ffmpeg !== undefined && isAlive(ffmpeg) && process.kill(ffmpeg, 'SIGKILL'));

    await writeCommand(store, deleteVideoControl(videoId, ownerId));
    await waitUntil('ffmpeg to be killed', () => pid !== undefined && !isAlive(pid), { timeoutMs: 20_000 });
    t.pass('its ffmpeg was killed, long before the minute it would have taken');
    // Stopping waits for the worker to be done with the video: whatever it would write is written by then.
    await component.transcoder.stop();
    await component.commands.stop();
    const types = (await typesOf(store, videoId)).filter((type) => type !== 'VideoTranscodingProgressed');
    t.deepEqual(
      types,
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoDeleted'],
      'neither published nor failed: deleted',
    );
    t.deepEqual(await onDisk(dir, videoId), [], 'no file of it is left, nor a write in progress');
  },
);

scopedTest(
  'video-publishing (PostgreSQL): a transcode that finishes after the deletion’s clean-up publishes nothing and removes what it wrote',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    // Its handlers are called by hand: this transcode is not cancelled by the deletion, as in a process that never heard of it.
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 2 }));
    await component.handlers.commands(await writeCommand(store, publish));
    const accepted = (await eventOf(store, videoId, 'VideoPublishingAccepted')) as RawMessage;
    const transcoding = component.handlers.transcoding(accepted);

    // ffmpeg has the upload open by then: the deletion's clean-up cannot make it fail to read it.
    await waitUntil('transcoding to progress', () => eventOf(store, videoId, 'VideoTranscodingProgressed'));
    await component.handlers.commands(await writeCommand(store, deleteVideoControl(videoId, ownerId)));
    await component.handlers.transcoding((await eventOf(store, videoId, 'VideoDeleted')) as RawMessage);
    t.deepEqual(
      finished(await onDisk(dir, videoId)),
      [],
      'the clean-up left nothing (the MP4 is still being written, out of sight)',
    );
    await transcoding;

    t.notOk(await eventOf(store, videoId, 'VideoPublished'), 'not published');
    t.deepEqual(
      await onDisk(dir, videoId),
      [],
      'the MP4, poster and candidates it wrote after the clean-up are removed too',
    );
  },
);
