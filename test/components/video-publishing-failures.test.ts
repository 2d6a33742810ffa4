import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { videoPublishingStreamName } from '../../src/contracts/video-publishing.ts';
import { publishVideoControl } from '../../src/components/video-publishing/controls.ts';
import { OUR_SIDE_REASON } from '../../src/components/video-publishing/handlers/transcoding.ts';
import type { MessageStore } from '../../src/message-store/index.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import type { VideoPublishingComponentDeps } from '../../src/components/video-publishing/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import {
  eventOf,
  outcomesOf,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import {
  ffmpegWrapper,
  ffprobe,
  isAlive,
  makeGrowing,
  makeSparse,
  makeStill,
  makeUnmeasured,
  makeVideo,
  partialFiles,
  tempDir,
  upload,
} from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

// How a publish can fail, and that each failure ends as the creator's VideoPublishingFailed,
// never as a video left "converting" or a message parked.

const reasonOf = async (store: MessageStore, videoId: string): Promise<string | undefined> =>
  ((await eventOf(store, videoId, 'VideoPublishingFailed'))?.data as { reason?: string } | undefined)?.reason;

/** What a failed video leaves behind under its own keys, its upload and poster candidates included: nothing. */
async function leftOver(videoStore: VideoStore, dir: string, videoId: string): Promise<string[]> {
  const keys = {
    source: videoKeys.source(videoId),
    transcoded: videoKeys.transcoded(videoId),
    poster: videoKeys.poster(videoId),
    ...Object.fromEntries(
      [0, 1, 2, 3, 4].map((index) => [`candidate ${index}`, videoKeys.posterCandidate(videoId, index)]),
    ),
  };
  const present: string[] = [];
  for (const [name, key] of Object.entries(keys)) if (await videoStore.stat(uriOfKey(key))) present.push(name);
  return [...present, ...(await partialFiles(dir)).map((file) => `.partial/${file}`)];
}

/** leftOver once the running transcoder is done with the video: it removes the files just after writing the failure. */
async function leftOverWhenDone(videoStore: VideoStore, dir: string, videoId: string): Promise<string[]> {
  let files: string[] = [];
  await waitUntil(
    'the files to be removed',
    async () => (files = await leftOver(videoStore, dir, videoId)).length === 0,
    { timeoutMs: 3_000 },
  ).catch(() => undefined);
  return files;
}

scopedTest(
  'video-publishing failures: one frame in MKV, WebM or TS (no frame count in the header) fails as a single picture, is not parked, and leaves no files',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore);
    const videos: Array<{ container: 'mkv' | 'webm' | 'ts'; videoId: string }> = [];
    for (const container of ['mkv', 'webm', 'ts'] as const) {
      const publish = publishVideoControl();
      await upload(videoStore, publish.data.videoId, await makeStill(dir, container));
      await writeCommand(store, publish);
      videos.push({ container, videoId: publish.data.videoId });
    }
    await drain(component.commands);
    await drain(component.transcoder);

    for (const { container, videoId } of videos) {
      const types = await typesOf(store, videoId);
      t.equal(types.at(-1), 'VideoPublishingFailed', `${container}: failed (${types.join(', ')})`);
      const reason = await reasonOf(store, videoId);
      // ffprobe 4.1 crashes on a one-frame TS, so that one is not even read.
      const expected =
        container === 'ts'
          ? /^The file (holds a single picture|is not a video we can read)/
          : /^The file holds a single picture, not a video\./;
      t.match(reason ?? '', expected, `${container}: the creator is told why ("${reason}")`);
      t.deepEqual(
        await leftOver(videoStore, dir, videoId),
        [],
        `${container}: neither the upload nor the transcoded file is kept`,
      );
    }
    t.equal(component.transcoder.status().parked, 0, 'none parked');
  },
);

scopedTest(
  'video-publishing failures: a fault of ours after the transcode started is retried, then fails the video with a reason that says so; nothing parked, no files kept',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const ffmpeg = await ffmpegWrapper(dir, { failWith: 'Error opening output the video: Permission denied' });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: ffmpeg.path });
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoPublishingFailed'],
      'started, then failed: not left converting',
    );
    t.equal(await reasonOf(store, videoId), OUR_SIDE_REASON, 'the reason says the fault was ours, and to try again');
    t.equal((await ffmpeg.runs()).length, 3, 'tried as often as the retry policy allows (3 in tests)');
    t.equal(component.transcoder.status().parked, 0, 'not parked');
    t.deepEqual(await leftOver(videoStore, dir, videoId), [], 'no files kept, the upload included');
  },
);

scopedTest(
  'video-publishing failures: a missing ffprobe is ours to mend, not the creator’s failure: parked before the transcode starts',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore, { ffprobePath: path.join(dir, 'no-such-ffprobe') });
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(await typesOf(store, videoId), ['VideoPublishingAccepted'], 'not failed: the file may be fine');
    t.equal(component.transcoder.status().parked, 1, 'parked for an operator');
    t.ok(await videoStore.stat(publish.data.sourceUri), 'the upload is kept for the replay');
  },
);

scopedTest(
  'video-publishing failures: ffmpeg killed by a signal we did not send (the OOM killer) is our fault: tried again, and published',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 2 }));
    await writeCommand(store, publish);
    await waitUntil('transcoding to progress', () => eventOf(store, videoId, 'VideoTranscodingProgressed'));
    const [pid] = await slow.runs();
    process.kill(pid!, 'SIGKILL');

    await waitUntil('VideoPublished after the retry', () => eventOf(store, videoId, 'VideoPublished'), {
      timeoutMs: 60_000,
    });
    t.notOk(await eventOf(store, videoId, 'VideoPublishingFailed'), 'not failed');
    t.equal((await slow.runs()).length, 3, 'the killed transcode, the retried one, and the poster');
    t.ok(component.transcoder.status().retries >= 1, 'by the subscription’s retry');
  },
);

scopedTest(
  'video-publishing failures: ffmpeg killed by a signal on every try fails the video as our fault, not as a bad file',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const ffmpeg = await ffmpegWrapper(dir, { killed: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: ffmpeg.path });
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.equal(await reasonOf(store, videoId), OUR_SIDE_REASON, 'a problem on our side, not "could not be converted"');
    t.equal((await ffmpeg.runs()).length, 3, 'after every try the retry policy allows');
    t.equal(component.transcoder.status().parked, 0, 'not parked');
    t.deepEqual(await leftOver(videoStore, dir, videoId), [], 'nothing kept, the upload included');
  },
);

/** The component running, and one video published on it; for the limits' tests. */
async function publishOne(
  scope: Scope,
  source: (dir: string) => Promise<string>,
  overrides: Partial<VideoPublishingComponentDeps> & { realTime?: boolean } = {},
) {
  const { store } = await openTestStore(scope);
  const dir = await tempDir(scope);
  const videoStore = videoStoreIn(dir);
  const { realTime = false, ...deps } = overrides;
  const ffmpeg = await ffmpegWrapper(dir, { realTime });
  const component = videoPublishing(scope, store, videoStore, { ffmpegPath: ffmpeg.path, ...deps });
  for (const subscription of component.subscriptions) subscription.start();
  const publish = publishVideoControl();
  const { videoId } = publish.data;
  await upload(videoStore, videoId, await source(dir));
  await writeCommand(store, publish);
  // A bound, not a wait: three shards of tests on two cores make a two-second transcode take many times that.
  const outcome = (timeoutMs = 60_000) =>
    waitUntil(
      'an outcome',
      async () =>
        (await typesOf(store, videoId)).find((type) => type === 'VideoPublished' || type === 'VideoPublishingFailed'),
      {
        timeoutMs,
      },
    );
  return { store, dir, videoStore, ffmpeg, component, videoId, outcome };
}

scopedTest(
  'video-publishing limits: a few kilobytes of three frames, the last at 20 000 s, are refused as too long before any transcode',
  async (t, scope) => {
    const { store, videoId, ffmpeg, videoStore, dir, outcome } = await publishOne(scope, (dir) =>
      makeSparse(dir, { lastAtSeconds: 20_000 }),
    );
    t.equal(await outcome(), 'VideoPublishingFailed', 'failed');
    t.equal(
      await reasonOf(store, videoId),
      'The video is longer than 2 hours, the most we accept. Please upload a shorter video.',
      'saying why',
    );
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoPublishingFailed'],
      'without starting',
    );
    t.equal((await ffmpeg.runs()).length, 0, 'ffmpeg never ran');
    t.deepEqual(await leftOverWhenDone(videoStore, dir, videoId), [], 'the upload is deleted');
  },
);

scopedTest(
  'video-publishing limits: a picture just over 4K, or a side over 4096, is refused before any transcode',
  async (t, scope) => {
    for (const [width, height] of [
      [3856, 2176],
      [4112, 720],
    ] as const) {
      const big = (dir: string) => makeVideo(dir, { width, height, seconds: 0.2, audio: false });
      const { store, videoId, ffmpeg, videoStore, dir, outcome } = await publishOne(scope, big);
      t.equal(await outcome(), 'VideoPublishingFailed', `${width}×${height}: failed`);
      t.equal(
        await reasonOf(store, videoId),
        `This video is larger than we can convert (${width}×${height}): at most 4K (3840×2160) at 60 frames a second. Please export it at 4K or smaller.`,
        'saying why, in a camera’s words',
      );
      t.equal((await ffmpeg.runs()).length, 0, 'ffmpeg never ran');
      t.deepEqual(await leftOverWhenDone(videoStore, dir, videoId), [], 'the upload is deleted');
    }
  },
);

scopedTest(
  'video-publishing limits: a file that grows from 320×240 to 1080p partway is judged and decoded at its first size: the larger frames are dropped unread',
  async (t, scope) => {
    const { store, videoId, outcome } = await publishOne(scope, (dir) => makeGrowing(dir, { seconds: 1 }));
    t.equal(await outcome(), 'VideoPublished', 'published, from what could be read at the size it declared');
    const published = (await eventOf(store, videoId, 'VideoPublished'))!.data as { durationSeconds: number };
    t.ok(published.durationSeconds < 1.5, `the 1080p second was not decoded: ${published.durationSeconds} s kept of 2`);
  },
);

scopedTest(
  'video-publishing failures: a file ffmpeg cannot convert fails with ffmpeg’s words, but not its memory addresses',
  async (t, scope) => {
    const failing = await ffmpegWrapper(await tempDir(scope), { failWith: '[h264 @ 0x4222a440] no frame!' });
    const { store, videoId, outcome } = await publishOne(
      scope,
      (dir) => makeVideo(dir, { seconds: 0.5, audio: false }),
      { ffmpegPath: failing.path },
    );
    t.equal(await outcome(), 'VideoPublishingFailed', 'failed');
    t.equal(
      await reasonOf(store, videoId),
      'The video could not be converted (no frame!). Export it again as MP4, or upload another file.',
      'saying what ffmpeg said, without "[h264 @ 0x…]"',
    );
  },
);

scopedTest(
  'video-publishing limits: more than 60 frames a second is refused before any transcode',
  async (t, scope) => {
    const fast = (dir: string) => makeVideo(dir, { width: 160, height: 120, seconds: 0.5, rate: 120, audio: false });
    const { store, videoId, ffmpeg, outcome } = await publishOne(scope, fast);
    t.equal(await outcome(), 'VideoPublishingFailed', 'failed');
    t.equal(
      await reasonOf(store, videoId),
      'This video has more frames a second than we can convert (120): at most 4K (3840×2160) at 60 frames a second. Please export it at 60 frames a second or fewer.',
      'saying why',
    );
    t.equal((await ffmpeg.runs()).length, 0, 'ffmpeg never ran');
  },
);

scopedTest(
  'video-publishing limits: size × frame rate × length over the work budget is refused before any transcode; one that does not say its length is cut where the budget ends',
  async (t, scope) => {
    // One second of 320×240 at 10 frames a second.
    const limits = { maxDecodedPixels: 320 * 240 * 10 };
    const long = await publishOne(scope, (dir) => makeVideo(dir, { seconds: 3 }), { limits });
    t.equal(await long.outcome(), 'VideoPublishingFailed', 'three seconds of it: failed');
    t.match(
      (await reasonOf(long.store, long.videoId)) ?? '',
      /^This video is more than we can convert: at 320×240 and 10 frames a second we take at most 1 second of it \(as much work as [^)]+ of 1080p at 60 frames a second\)\. Please upload it at a lower resolution or frame rate, or in shorter parts\.$/,
      'saying what would fit, and what to do',
    );
    t.equal((await long.ffmpeg.runs()).length, 0, 'ffmpeg never ran');

    const unmeasured = await publishOne(scope, (dir) => makeUnmeasured(dir, 3), { limits });
    t.equal(await unmeasured.outcome(), 'VideoPublished', 'without a length in its header: published');
    const { durationSeconds } = (await eventOf(unmeasured.store, unmeasured.videoId, 'VideoPublished'))?.data as {
      durationSeconds: number;
    };
    t.ok(Math.abs(durationSeconds - 1) < 0.2, `the first second, as far as the budget goes (${durationSeconds} s)`);
  },
);

scopedTest(
  'video-publishing limits: ten minutes between two frames are kept as a gap, not filled with copies of the frame',
  async (t, scope) => {
    const { store, videoId, videoStore, outcome } = await publishOne(scope, (dir) =>
      makeSparse(dir, { width: 320, height: 240, lastAtSeconds: 600 }),
    );
    t.equal(await outcome(), 'VideoPublished', 'published');
    const { transcodedUri, durationSeconds } = (await eventOf(store, videoId, 'VideoPublished'))?.data as {
      transcodedUri: string;
      durationSeconds: number;
    };
    const video = (await videoStore.withLocalFile(transcodedUri, ffprobe)).streams.find(
      (stream) => stream.codec_type === 'video',
    );
    t.equal(video?.nb_frames, '3', 'three frames in, three frames out');
    t.ok(Math.abs(durationSeconds - 600) < 2, `still ten minutes long (${durationSeconds} s)`);
  },
);

scopedTest(
  'video-publishing limits: a conversion that reaches the output size limit is stopped there, and fails rather than publish a cut-off video',
  async (t, scope) => {
    const began = Date.now();
    // Read in real time, the 30-second video would take 30 s to convert; the limit stops it a few seconds in.
    const { store, videoId, videoStore, dir, outcome } = await publishOne(
      scope,
      (dir) => makeVideo(dir, { seconds: 30 }),
      {
        realTime: true,
        limits: { maxOutputBytes: 20_000 },
      },
    );
    t.equal(await outcome(), 'VideoPublishingFailed', 'failed');
    t.ok(Date.now() - began < 20_000, `ffmpeg stopped at the limit (${Date.now() - began} ms in all)`);
    t.equal(
      await reasonOf(store, videoId),
      'The converted video would be larger than 20 KB. Please upload a shorter video.',
      'saying why',
    );
    t.deepEqual(await leftOverWhenDone(videoStore, dir, videoId), [], 'neither the cut-off MP4 nor the upload is kept');
  },
);

scopedTest(
  'video-publishing limits: a transcode past its time limit (from the video’s length) is killed, and the video fails as taking too long',
  async (t, scope) => {
    // 3 s × 0.1 + 0.3 s: 0.6 s for a transcode that, read in real time, takes 3 s.
    const limits = { timePerVideoSecond: 0.1, extraTimeMs: 300 };
    const { store, videoId, videoStore, dir, ffmpeg, outcome } = await publishOne(
      scope,
      (dir) => makeVideo(dir, { seconds: 3 }),
      { realTime: true, limits },
    );
    t.equal(await outcome(), 'VideoPublishingFailed', 'failed');
    t.equal(
      await reasonOf(store, videoId),
      'The video took too long to convert. Please upload a shorter or smaller video.',
      'saying why',
    );
    const [pid] = await ffmpeg.runs();
    t.notOk(isAlive(pid!), 'ffmpeg was killed');
    t.deepEqual(await leftOverWhenDone(videoStore, dir, videoId), [], 'nothing kept, the upload included');
  },
);

scopedTest(
  'video-publishing limits: a file that does not say how long it is is converted up to the longest allowed, no further',
  async (t, scope) => {
    const { store, videoId, outcome } = await publishOne(scope, (dir) => makeUnmeasured(dir, 3), {
      limits: { maxDurationSeconds: 1 },
    });
    t.equal(await outcome(), 'VideoPublished', 'published');
    const { durationSeconds } = (await eventOf(store, videoId, 'VideoPublished'))?.data as { durationSeconds: number };
    t.ok(Math.abs(durationSeconds - 1) < 0.2, `the first second of three (${durationSeconds} s)`);
  },
);

scopedTest(
  'video-publishing failures: an acceptance recorded before sources were checked, naming another video’s upload, fails without deleting that upload',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore);
    const other = publishVideoControl();
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'not a video\n'.repeat(100));
    await upload(videoStore, other.data.videoId, notes);
    const legacy = publishVideoControl({ sourceUri: other.data.sourceUri });
    const { videoId } = legacy.data;
    await store.write(videoPublishingStreamName(videoId), {
      id: randomUUID(),
      type: 'VideoPublishingAccepted',
      data: legacy.data,
      metadata: legacy.metadata,
    });
    await drain(component.transcoder);

    t.equal((await typesOf(store, videoId)).at(-1), 'VideoPublishingFailed', 'failed');
    t.ok(await videoStore.stat(other.data.sourceUri), 'the other video’s upload is still there');
  },
);

/** A video store whose writes of transcoded files fail with ENOSPC the first `times` times, as a full video folder would. */
function fullFor(videoStore: VideoStore, times: number): VideoStore & { refusals: () => number } {
  let refused = 0;
  return {
    ...videoStore,
    async writeLocalFile(key, write) {
      if (key.startsWith('transcoded/') && refused < times) {
        refused += 1;
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28 });
      }
      return videoStore.writeLocalFile(key, write);
    },
    refusals: () => refused,
  };
}

scopedTest(
  'video-publishing failures: a full video folder during a transcode is waited out past the retry policy’s tries, and the video is published from the upload it kept',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const local = videoStoreIn(dir);
    // Five refusals: more than the three tries the retry policy gives a fault.
    const videoStore = fullFor(local, 5);
    const component = videoPublishing(scope, store, videoStore);
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(local, videoId, await makeVideo(dir));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.equal(videoStore.refusals(), 5, 'the disk was full five times over');
    t.deepEqual(
      await outcomesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoPublished'],
      'then published: never failed',
    );
    t.ok(component.transcoder.status().retries >= 5, 'waited out by the transcoder');
    t.equal(component.transcoder.status().parked, 0, 'not parked');
    t.ok(await local.stat(publish.data.sourceUri), 'the upload was kept throughout');
  },
);

scopedTest(
  'video-publishing failures: ffmpeg finding no space on every try waits for the whole window, then is parked for an operator: not failed, the upload kept',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const ffmpeg = await ffmpegWrapper(dir, {
      failWith: 'Error writing trailer of the video: No space left on device',
    });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: ffmpeg.path, resourceWaitMs: 1_000 });
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted'],
      'no failure written: the file was never at fault',
    );
    t.ok(
      (await ffmpeg.runs()).length >= 2,
      `tried again and again for the window (${(await ffmpeg.runs()).length} runs in a second)`,
    );
    t.equal(component.transcoder.status().parked, 1, 'then parked, for whoever frees the space to replay');
    const [parked] = await store.readStream('deadLetter-components:video-publishing:transcoding');
    t.match((parked?.data as { error: string }).error, /ToolOutOfResourcesError.*ENOSPC/, 'saying the disk was full');
    t.ok(await videoStore.stat(publish.data.sourceUri), 'the upload is kept for that replay');
  },
);

scopedTest(
  'video-publishing limits: a video that needs more memory than a conversion may have fails as the file’s fault, at once, and is not waited out as the machine’s shortage',
  async (t, scope) => {
    // 4K is within the limits; 250 MB is too little to convert it with two threads each side
    // (ffmpeg's own malloc fails under prlimit's cap; 300 MB was enough here).
    // Debian's ffmpeg, which the site prefers wherever it is installed (media-tools.ts).
    const { store, videoId, component, outcome } = await publishOne(
      scope,
      (dir) => makeVideo(dir, { width: 3840, height: 2160, seconds: 1, audio: false }),
      {
        limits: { memoryBytes: 250 * 1024 ** 2 },
        resourceWaitMs: 60_000,
        ffmpegPath: '/usr/bin/ffmpeg',
        ffprobePath: '/usr/bin/ffprobe',
      },
    );
    t.equal(
      await outcome(),
      'VideoPublishingFailed',
      'failed, as docs/limits.md says ("the conversion fails as the file’s fault")',
    );
    t.match((await reasonOf(store, videoId)) ?? '', /memory/, `saying why (${await reasonOf(store, videoId)})`);
    t.equal(component.transcoder.status().parked, 0, 'not parked');
  },
);
