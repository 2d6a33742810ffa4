import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { nameVideoControl, publishVideoControl } from '../../src/components/video-publishing/controls.ts';
import { DEFAULT_SANDBOX_TOOLS } from '../../src/components/video-publishing/media/sandbox.ts';
import { ERASED_OWNER_REASON } from '../../src/components/video-publishing/handlers/transcoding.ts';
import { identityStreamName } from '../../src/contracts/identity.ts';
import { videoKeys, uriOfKey } from '../../src/video-store/index.ts';
import { openTestStore } from '../helpers/message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { waitUntil } from '../helpers/wait-until.ts';
import { recordingStore } from '../fixtures/identity-controls.ts';
import {
  eventOf,
  eventsOf,
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
  makeVideo,
  partialFiles,
  tempDir,
  upload,
} from '../fixtures/video-sources.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

scopedTest(
  'video-publishing: PublishVideo → accepted, transcoding started, progress, VideoPublished with a playable MP4 and a JPEG poster; a rename meanwhile is not held up',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    // Real-time reading: the 2-second video takes 2 seconds, long enough to rename during it.
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 2 }));
    const command = await writeCommand(store, publish);

    await waitUntil('transcoding to start', () => eventOf(store, videoId, 'VideoTranscodingStarted'));
    await writeCommand(store, nameVideoControl(videoId, 'My first tutorial', ownerId));
    await waitUntil('the rename', () => eventOf(store, videoId, 'VideoNamed'));
    t.notOk(await eventOf(store, videoId, 'VideoPublished'), 'the rename was answered while the transcode ran');

    const published = await waitUntil('VideoPublished', () => eventOf(store, videoId, 'VideoPublished'), {
      timeoutMs: 60_000,
    });
    const data = published.data as Record<string, unknown>;
    t.deepEqual(
      { ...data, durationSeconds: undefined },
      {
        ownerId,
        videoId,
        sourceUri: publish.data.sourceUri,
        transcodedUri: uriOfKey(videoKeys.transcoded(videoId)),
        posterUri: uriOfKey(videoKeys.poster(videoId)),
        durationSeconds: undefined,
        width: 320,
        height: 240,
        posterCandidateUris: [0, 1, 2, 3, 4].map((index) => uriOfKey(videoKeys.posterCandidate(videoId, index))),
      },
      'VideoPublished names the files, the owner, the size and five candidate posters',
    );
    t.ok(
      Math.abs((data.durationSeconds as number) - 2) < 0.2,
      `the duration is about 2 s (${String(data.durationSeconds)})`,
    );
    t.equal(published.metadata.traceId, command.metadata.traceId, 'the trace carries on from the command');
    t.equal(published.metadata.userId, ownerId, 'and who asked');

    const types = await typesOf(store, videoId);
    t.deepEqual(
      types.filter((type) => type !== 'VideoTranscodingProgressed' && type !== 'VideoNamed'),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoPublished'],
      'in order, once each',
    );
    const percents = (await eventsOf(store, videoId))
      .filter((event) => event.type === 'VideoTranscodingProgressed')
      .map((event) => (event.data as { percent: number }).percent);
    t.ok(percents.length >= 1 && percents.length <= 9, `a few progress reports (${percents.join(', ')})`);
    t.deepEqual(
      percents,
      [...percents].sort((a, b) => a - b),
      'rising',
    );
    t.ok(
      percents.every((percent) => percent % 10 === 0 && percent > 0 && percent < 100),
      'in whole steps of 10 %',
    );

    const mp4 = await videoStore.withLocalFile(data.transcodedUri as string, ffprobe);
    const video = mp4.streams.find((stream) => stream.codec_type === 'video');
    t.equal(video?.codec_name, 'h264', 'H.264 video');
    t.equal(mp4.streams.find((stream) => stream.codec_type === 'audio')?.codec_name, 'aac', 'AAC audio');
    t.match(mp4.format.format_name ?? '', /mp4/, 'in MP4');
    t.ok(Math.abs(Number(mp4.format.duration) - 2) < 0.2, 'about as long as the source');
    const head = await videoStore.withLocalFile(data.transcodedUri as string, (file) => readFile(file));
    t.ok(
      head.indexOf('moov') < head.indexOf('mdat'),
      'the index is before the media (+faststart), so playback starts at once',
    );
    const poster = await videoStore.withLocalFile(data.posterUri as string, (file) => readFile(file));
    t.deepEqual([...poster.subarray(0, 3)], [0xff, 0xd8, 0xff], 'the poster is a JPEG');
    t.equal(
      (await videoStore.withLocalFile(data.posterUri as string, ffprobe)).streams[0]?.width,
      320,
      'at the video size',
    );
    const candidates = await Promise.all(
      (data.posterCandidateUris as string[]).map((uri) => videoStore.withLocalFile(uri, (file) => readFile(file))),
    );
    t.ok(
      candidates.every((jpeg) => jpeg[0] === 0xff && jpeg[1] === 0xd8),
      'each candidate is a JPEG',
    );
    t.equal(
      new Set(candidates.map((jpeg) => jpeg.toString('base64'))).size,
      5,
      'five different frames (the test pattern changes over time)',
    );
    t.ok(candidates[0]!.equals(poster), 'the first is the poster: a frame a tenth of the way in');
  },
);

scopedTest(
  'video-publishing: a large source without sound → at most 720p, its shape kept in even dimensions, and no audio track',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore);
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { width: 1919, height: 1081, audio: false }));
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    const published = await eventOf(store, videoId, 'VideoPublished');
    const { transcodedUri, width, height } = published?.data as {
      transcodedUri: string;
      width: number;
      height: number;
    };
    const streams = (await videoStore.withLocalFile(transcodedUri, ffprobe)).streams;
    const video = streams.find((stream) => stream.codec_type === 'video');
    t.deepEqual(
      [video?.width, video?.height],
      [1278, 720],
      '1919×1081 fits 1280×720 as 1278×720: 720 high, even, same shape',
    );
    t.deepEqual([width, height], [1278, 720], 'as VideoPublished says');
    t.notOk(
      streams.some((stream) => stream.codec_type === 'audio'),
      'no audio track, and published anyway',
    );
  },
);

scopedTest(
  'video-publishing: a text file sent as a video → VideoPublishingFailed with a reason a person can read; nothing is stored, and the upload is deleted',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, store, videoStore);
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    const notes = path.join(dir, 'notes.txt');
    await writeFile(notes, 'These are my lecture notes, not a video.\n'.repeat(50));
    await upload(videoStore, videoId, notes);
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoPublishingFailed'],
      'failed, without starting a transcode',
    );
    const failed = await eventOf(store, videoId, 'VideoPublishingFailed');
    t.equal((failed?.data as { ownerId: string }).ownerId, ownerId);
    const { reason } = failed?.data as { reason: string };
    t.match(
      reason,
      /^The file is not a video we can read\. Please upload an MP4, MOV/,
      `the reason says what to do: "${reason}"`,
    );
    t.equal(await videoStore.stat(uriOfKey(videoKeys.transcoded(videoId))), undefined, 'no transcoded file');
    t.equal(await videoStore.stat(uriOfKey(videoKeys.poster(videoId))), undefined, 'no poster');
    t.equal(
      await videoStore.stat(publish.data.sourceUri),
      undefined,
      'and the upload is deleted: it will never be read again',
    );
    t.equal(component.transcoder.status().parked, 0, 'a failure answered, not a message parked');

    // As if the process had died between recording the failure and deleting the upload.
    await upload(videoStore, videoId, notes);
    await component.handlers.transcoding((await eventOf(store, videoId, 'VideoPublishingAccepted'))!);
    t.equal(await videoStore.stat(publish.data.sourceUri), undefined, 'a redelivery deletes what a crash left');
    t.deepEqual(
      await typesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoPublishingFailed'],
      'and writes nothing',
    );
  },
);

scopedTest(
  'video-publishing: the same PublishVideo delivered twice, and its acceptance handled twice, publish once and transcode once',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const ffmpeg = await ffmpegWrapper(dir);
    const recording = recordingStore(store);
    const component = videoPublishing(scope, recording, videoStore, { ffmpegPath: ffmpeg.path });
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir));
    const command = await writeCommand(store, publish);
    // The form posted twice: a second command for the same video.
    await writeCommand(store, { ...publishVideoControl({ videoId, ownerId: publish.data.ownerId }) });
    await drain(component.commands);
    await drain(component.transcoder);
    const runs = (await ffmpeg.runs()).length;
    const attempts = recording.attempts.length;

    await component.handlers.commands(command);
    const accepted = await eventOf(store, videoId, 'VideoPublishingAccepted');
    await component.handlers.transcoding(accepted!);

    t.deepEqual(
      await outcomesOf(store, videoId),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoPublished'],
      'one of each',
    );
    t.equal(runs, 2, 'ffmpeg ran twice for the first delivery: the transcode and the poster');
    t.equal((await ffmpeg.runs()).length, runs, 'and not again');
    t.deepEqual(
      recording.attempts.slice(attempts),
      [],
      'the repeats found the video published and wrote nothing, not even an attempt',
    );
  },
);

scopedTest(
  'video-publishing: stopped mid-transcode, ffmpeg is killed, nothing is written or stored, and the next start publishes',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const first = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of first.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 6 }));
    await writeCommand(store, publish);
    // Progress means ffmpeg is well into it, its output file open and being written.
    await waitUntil('transcoding to progress', () => eventOf(store, videoId, 'VideoTranscodingProgressed'));
    const [pid] = await slow.runs();

    const stopping = Date.now();
    await Promise.all(first.subscriptions.map((subscription) => subscription.stop()));
    t.ok(Date.now() - stopping < 3_000, `the stop did not wait for the transcode (${Date.now() - stopping} ms)`);
    t.notOk(pid !== undefined && isAlive(pid), 'ffmpeg is gone');
    t.deepEqual(
      (await typesOf(store, videoId)).filter((type) => type !== 'VideoTranscodingProgressed'),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted'],
      'neither published nor failed',
    );
    t.equal(
      await videoStore.stat(uriOfKey(videoKeys.transcoded(videoId))),
      undefined,
      'no transcoded file under its name',
    );
    t.deepEqual(await partialFiles(dir), [], 'and the half-written one discarded');
    t.equal(first.transcoder.status().parked, 0, 'not parked');

    const second = videoPublishing(scope, store, videoStore);
    for (const subscription of second.subscriptions) subscription.start();
    await waitUntil('VideoPublished after the restart', () => eventOf(store, videoId, 'VideoPublished'), {
      timeoutMs: 60_000,
    });
    const types = await typesOf(store, videoId);
    t.deepEqual(
      types.filter((type) => type !== 'VideoTranscodingProgressed'),
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoPublished'],
      'published once; the restart’s start was the same event',
    );
    t.ok(await videoStore.stat(uriOfKey(videoKeys.transcoded(videoId))), 'the transcoded file is there');
  },
);

scopedTest(
  'video-publishing: commands whose data or metadata break the contract are parked, and the next command goes on',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const component = videoPublishing(scope, store, videoStoreIn(dir));
    const good = publishVideoControl();
    const badId = nameVideoControl('not-a-uuid', 'A name', randomUUID());
    const noUser = {
      ...nameVideoControl(good.data.videoId, 'A name', randomUUID()),
      metadata: { traceId: randomUUID() },
    };
    const escaping = publishVideoControl({ sourceUri: 'video-store:../../etc/passwd' });
    const parkedIds: string[] = [];
    for (const command of [badId, noUser, escaping]) parkedIds.push((await writeCommand(store, command)).id);
    await writeCommand(store, good);
    await drain(component.commands);

    t.deepEqual(
      await typesOf(store, good.data.videoId),
      ['VideoPublishingAccepted'],
      'the valid command after them was handled',
    );
    const parked = await store.readStream('deadLetter-components:video-publishing:commands');
    t.deepEqual(
      parked.map((entry) => (entry.data as { message: { id: string } }).message.id),
      parkedIds,
      'each bad one parked',
    );
    const errors = parked.map((entry) => (entry.data as { error: string }).error);
    t.match(errors[0]!, /MessageDataError.*videoId/, 'a videoId that is no uuid');
    t.match(errors[1]!, /metadata\.userId/, 'no userId to decide ownership on');
    t.match(errors[2]!, /sourceUri: not a video store URI/, 'a source outside the store');
    t.equal(await typesOf(store, escaping.data.videoId).then((types) => types.length), 0, 'and none answered');
  },
);

scopedTest(
  'video-publishing: an upload missing from the store is ours to mend, not the creator’s failure: parked for an operator, not failed',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const component = videoPublishing(scope, store, videoStoreIn(await tempDir(scope)));
    const publish = publishVideoControl();
    await writeCommand(store, publish);
    await drain(component.commands);
    await drain(component.transcoder);

    t.deepEqual(await typesOf(store, publish.data.videoId), ['VideoPublishingAccepted'], 'no failure written');
    const [parked] = await store.readStream('deadLetter-components:video-publishing:transcoding');
    t.match((parked?.data as { error: string }).error, /VideoNotFoundError/, 'parked, saying the file is not there');
  },
);

scopedTest(
  'video-publishing: a Node process killed mid-transcode takes its ffmpeg with it (Linux, through setpriv)',
  async (t, scope) => {
    const setpriv = DEFAULT_SANDBOX_TOOLS.setpriv;
    if (setpriv === null) {
      // Off Linux there is no setpriv: the component must not try it (src/contracts/video-publishing.md names the gap).
      t.notEqual(process.platform, 'linux', 'no setpriv path only off Linux');
      return;
    }
    // util-linux, which ships setpriv, is part of every Debian system: missing, it is a fault here.
    t.ok(
      await access(setpriv, constants.X_OK).then(
        () => true,
        () => false,
      ),
      `${setpriv} is there to tie ffmpeg to its parent`,
    );
    const dir = await tempDir(scope);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const source = await makeVideo(dir, { seconds: 30 });
    const media = path.resolve('src/components/video-publishing/media');
    // A stand-in for the server: it runs ffmpeg as the component does, then is killed as the OOM killer would.
    // .mts: outside the package a .ts file is taken for CommonJS, which has no top-level await.
    const script = path.join(dir, 'server.mts');
    await writeFile(
      script,
      [
        `import { runTool } from ${JSON.stringify(path.join(media, 'run-tool.ts'))};`,
        `import { createSandbox } from ${JSON.stringify(path.join(media, 'sandbox.ts'))};`,
        `const sandbox = createSandbox({ setpriv: ${JSON.stringify(setpriv)}, prlimit: null, unshare: null }, (layer, why) => console.error(layer, why));`,
        `await runTool(${JSON.stringify(slow.path)}, ['-nostdin', '-i', ${JSON.stringify(source)}, '-f', 'null', '-'], { signal: new AbortController().signal, sandbox });`,
      ].join('\n'),
    );
    const server = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    scope.add(server, (child) => child.kill('SIGKILL'));
    const pid = await waitUntil('ffmpeg to run', async () => (await slow.runs())[0]);
    scope.add(pid, (ffmpeg) => isAlive(ffmpeg) && process.kill(ffmpeg, 'SIGKILL'));
    t.ok(isAlive(pid), 'ffmpeg runs');

    server.kill('SIGKILL');
    const died = await waitUntil('ffmpeg to die', () => !isAlive(pid), { timeoutMs: 5_000 }).catch(() => false);
    t.ok(died, 'ffmpeg died with it, not 30 s later');
  },
);

scopedTest(
  'video-publishing: a creator erased while their video converts: it fails instead of being published, and its files go',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId, ownerId } = publish.data;
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 2 }));
    await writeCommand(store, publish);
    await waitUntil('transcoding to start', () => eventOf(store, videoId, 'VideoTranscodingStarted'));
    await store.write(identityStreamName(ownerId), {
      id: randomUUID(),
      type: 'UserErased',
      data: { userId: ownerId, by: 'test' },
      metadata: {},
    });

    const failed = await waitUntil('VideoPublishingFailed', () => eventOf(store, videoId, 'VideoPublishingFailed'), {
      timeoutMs: 60_000,
    });
    t.equal((failed.data as { reason: string }).reason, ERASED_OWNER_REASON, 'failed: its creator was erased');
    t.notOk(await eventOf(store, videoId, 'VideoPublished'), 'never published');
    // The failure is recorded first, then the files go (nothing points at them any more): wait for that.
    const exists = (key: string) =>
      access(path.join(dir, 'videos', key), constants.F_OK).then(
        () => true,
        () => false,
      );
    const candidates = [0, 1, 2, 3, 4].map((index) => videoKeys.posterCandidate(videoId, index));
    for (const key of [
      videoKeys.source(videoId),
      videoKeys.transcoded(videoId),
      videoKeys.poster(videoId),
      ...candidates,
    ]) {
      const removed = await waitUntil(`${key} to be removed`, async () => !(await exists(key)), {
        timeoutMs: 5_000,
      }).catch(() => false);
      t.ok(removed, `${key} removed`);
    }
  },
);

scopedTest(
  'video-publishing: a video taken down while it converts stops converting at once: its ffmpeg is killed, and nothing is published or failed',
  async (t, scope) => {
    const { store } = await openTestStore(scope);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const slow = await ffmpegWrapper(dir, { realTime: true });
    const component = videoPublishing(scope, store, videoStore, { ffmpegPath: slow.path });
    for (const subscription of component.subscriptions) subscription.start();
    const publish = publishVideoControl();
    const { videoId } = publish.data;
    // A minute read at its own pace: still converting long after the take-down.
    await upload(videoStore, videoId, await makeVideo(dir, { seconds: 60, width: 160, height: 120, audio: false }));
    await writeCommand(store, publish);
    await waitUntil('transcoding to progress', () => eventOf(store, videoId, 'VideoTranscodingProgressed'));
    const [pid] = await slow.runs();
    scope.add(pid, (ffmpeg) => ffmpeg !== undefined && isAlive(ffmpeg) && process.kill(ffmpeg, 'SIGKILL'));

    // As video-publishing answers an admin's TakeDownVideo.
    await store.write(`videoPublishing-${videoId}`, {
      id: randomUUID(),
      type: 'VideoTakenDown',
      data: { videoId, reason: 'Spam' },
      metadata: {},
    });
    await waitUntil('ffmpeg to be killed', () => pid !== undefined && !isAlive(pid), { timeoutMs: 20_000 });
    t.pass('its ffmpeg was killed, long before the minute it would have taken');
    const types = (await typesOf(store, videoId)).filter((type) => type !== 'VideoTranscodingProgressed');
    t.deepEqual(
      types,
      ['VideoPublishingAccepted', 'VideoTranscodingStarted', 'VideoTakenDown'],
      'neither published nor failed: taken down',
    );
    t.equal(component.transcoder.status().parked, 0, 'not parked');
  },
);
