import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import test from 'tape';
import { REJECTION_REASONS } from '../../src/contracts/video-publishing.ts';
import {
  chooseVideoPosterControl,
  publishVideoControl,
  uploadVideoPosterControl,
} from '../../src/components/video-publishing/controls.ts';
import { probeImage, reencodeImage } from '../../src/components/video-publishing/media/image.ts';
import { DEFAULT_TRANSCODE_LIMITS } from '../../src/components/video-publishing/media/limits.ts';
import type { Sandbox } from '../../src/components/video-publishing/media/sandbox.ts';
import type { Message, MessageStore, RawMessage } from '../../src/message-store/index.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../src/video-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';
import { openMemoryStore } from '../helpers/memory-message-store.ts';
import { drain } from '../helpers/subscribers.ts';
import { recordingStore } from '../fixtures/identity-controls.ts';
import {
  answersOf,
  recordPublished,
  typesOf,
  videoPublishing,
  videoStoreIn,
  writeCommand,
} from '../fixtures/video-publishing-component.ts';
import { FFMPEG, FFPROBE, ffprobe, tempDir } from '../fixtures/video-sources.ts';

// Posters: a candidate frame chosen, or an image uploaded, decoded and re-encoded by ffmpeg.
// Only the command subscriber runs: the video is recorded as published by hand.

const run = promisify(execFile);

async function setUp(scope: Scope, wrap: (store: MessageStore) => MessageStore = (store) => store) {
  const { store } = openMemoryStore(scope);
  const dir = await tempDir(scope);
  const videoStore = videoStoreIn(dir);
  const component = videoPublishing(scope, wrap(store), videoStore);
  return { store, component, videoStore, dir };
}

async function published(store: MessageStore, commands: { tick(): Promise<number> }, candidates?: number) {
  const publish = publishVideoControl();
  await writeCommand(store, publish);
  await drain(commands as never);
  await recordPublished(store, publish.data, candidates);
  return publish.data;
}

/** A test-pattern picture made by ffmpeg, in `format` (by its extension). */
async function picture(dir: string, name: string, size = '800x600'): Promise<string> {
  const file = path.join(dir, name);
  await run(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=1`,
    '-frames:v',
    '1',
    file,
  ]);
  return file;
}

/** Stores `file` where the portal puts a poster upload, and returns the command that names it. */
async function uploadPoster(videoStore: VideoStore, videoId: string, userId: string, file: string) {
  const command = uploadVideoPosterControl(videoId, userId);
  await videoStore.put(
    videoKeys.posterUpload(videoId, command.data.imageUri.split('/').at(-1)!),
    createReadStream(file),
  );
  return command;
}

const reasonOf = (data: unknown) => (data as { reason?: string }).reason;

scopedTest(
  'video-publishing posters: the owner chooses a candidate frame by its index; past the frames offered, or a stranger, is refused',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await published(store, component.commands, 3);
    const waiting = publishVideoControl();
    await writeCommand(store, waiting);
    for (const [candidate, userId] of [
      [2, ownerId],
      [3, ownerId],
      [0, randomUUID()],
    ] as const) {
      await writeCommand(store, chooseVideoPosterControl(videoId, candidate, userId));
    }
    await writeCommand(store, chooseVideoPosterControl(waiting.data.videoId, 0, waiting.data.ownerId));
    await drain(component.commands);

    t.deepEqual(
      await answersOf(store, videoId),
      [
        ['VideoPosterChanged', { videoId, posterUri: uriOfKey(videoKeys.posterCandidate(videoId, 2)) }],
        ['VideoPosterRejected', { videoId, reason: REJECTION_REASONS.noSuchPoster }],
        ['VideoPosterRejected', { videoId, reason: REJECTION_REASONS.notOwner }],
      ],
      'frame 2 becomes the poster; frame 3 of three is not there; a stranger is refused',
    );
    t.deepEqual(
      (await answersOf(store, waiting.data.videoId)).map(([, data]) => reasonOf(data)),
      [REJECTION_REASONS.notConverted],
      'a video not converted yet has no frames to choose',
    );
  },
);

scopedTest(
  'video-publishing posters: a candidate index that is not 0 to 4 is parked, never answered',
  async (t, scope) => {
    const { store, component } = await setUp(scope);
    const { videoId, ownerId } = await published(store, component.commands);
    const bad: string[] = [];
    for (const candidate of [-1, 5, 1.5, '1']) {
      bad.push(
        (
          await writeCommand(store, {
            ...chooseVideoPosterControl(videoId, 0, ownerId),
            data: { videoId, candidate },
          } as Message)
        ).id,
      );
    }
    await drain(component.commands);
    t.deepEqual(await answersOf(store, videoId), [], 'none answered');
    const parked = await store.readStream('deadLetter-components:video-publishing:commands');
    t.deepEqual(
      parked.map((entry) => (entry.data as { message: { id: string } }).message.id),
      bad,
      'each parked',
    );
  },
);

scopedTest(
  'video-publishing posters: an uploaded JPEG, PNG or WebP is decoded and re-encoded as a JPEG that fits 1280×720; the upload as sent is removed',
  async (t, scope) => {
    const { store, component, videoStore, dir } = await setUp(scope);
    const { videoId, ownerId } = await published(store, component.commands);
    const files = [
      await picture(dir, 'photo.jpg', '4000x3000'),
      await picture(dir, 'drawing.png', '640x1000'),
      await picture(dir, 'web.webp'),
    ];
    const commands = [];
    for (const file of files)
      commands.push(await writeCommand(store, await uploadPoster(videoStore, videoId, ownerId, file)));
    const began = performance.now();
    await drain(component.commands);
    t.comment(
      `three pictures (12, 0.6 and 0.5 megapixels) decoded and re-encoded in ${Math.round(performance.now() - began)} ms`,
    );

    const answers = await answersOf(store, videoId);
    t.deepEqual(
      answers.map(([type]) => type),
      ['VideoPosterChanged', 'VideoPosterChanged', 'VideoPosterChanged'],
      'each becomes the poster in turn',
    );
    const sizes = [];
    for (const [index, [, data]] of answers.entries()) {
      const { posterUri } = data as { posterUri: string };
      const uploadId = (commands[index]!.data as { imageUri: string }).imageUri.split('/').at(-1)!;
      t.equal(
        posterUri,
        uriOfKey(videoKeys.uploadedPoster(videoId, uploadId)),
        'stored under a key of its upload, in the poster folder',
      );
      const [stream] = (await videoStore.withLocalFile(posterUri, ffprobe)).streams;
      sizes.push([stream?.codec_name, stream?.width, stream?.height]);
      t.equal(
        await videoStore.stat((commands[index]!.data as { imageUri: string }).imageUri),
        undefined,
        'the upload as sent is gone',
      );
    }
    t.deepEqual(
      sizes,
      [
        ['mjpeg', 960, 720],
        ['mjpeg', 460, 720],
        ['mjpeg', 800, 600],
      ],
      'JPEGs, shrunk to fit 1280×720 with their shape kept, never enlarged',
    );
  },
);

scopedTest(
  'video-publishing posters: a file that does not decode as one JPEG, PNG or WebP picture within the limits is refused as unreadable, and removed',
  async (t, scope) => {
    const { store, component, videoStore, dir } = await setUp(scope);
    const { videoId, ownerId } = await published(store, component.commands);
    const text = path.join(dir, 'notes.jpg');
    await writeFile(text, 'These are not a picture.\n'.repeat(20));
    const jpeg = await picture(dir, 'photo.jpg');
    const truncated = path.join(dir, 'truncated.jpg');
    await run('head', ['-c', '2000', jpeg]).then(({ stdout }) => writeFile(truncated, stdout, 'latin1'));
    const gif = await picture(dir, 'animation.gif');
    const strip = await picture(dir, 'strip.png', '16400x8');
    // A readable JPEG padded past 5 MB (decoders stop at its end marker): only the size check refuses it.
    const huge = await picture(dir, 'huge.jpg');
    await writeFile(huge, Buffer.concat([await readFile(huge), Buffer.alloc(5 * 1024 * 1024, 0)]));
    const empty = path.join(dir, 'empty.png');
    await writeFile(empty, '');
    const sent = [text, truncated, gif, strip, huge, empty];
    const commands = [];
    for (const file of sent) commands.push(await uploadPoster(videoStore, videoId, ownerId, file));
    for (const command of commands) await writeCommand(store, command);
    await drain(component.commands);

    t.deepEqual(
      (await answersOf(store, videoId)).map(([type, data]) => [type, reasonOf(data)]),
      sent.map(() => ['VideoPosterRejected', REJECTION_REASONS.unreadableImage]),
      'text, a cut-off JPEG, a GIF, a picture wider than 16 384, over 5 MB, and nothing at all: each refused as unreadable',
    );
    for (const command of commands)
      t.equal(await videoStore.stat(command.data.imageUri), undefined, 'the upload as sent is removed');
    const uploadIds = commands.map((command) => command.data.imageUri.split('/').at(-1)!);
    const stored = await Promise.all(
      uploadIds.map((uploadId) => videoStore.stat(uriOfKey(videoKeys.uploadedPoster(videoId, uploadId)))),
    );
    t.ok(
      stored.every((file) => file === undefined),
      'and nothing is stored in its place',
    );
  },
);

scopedTest(
  "video-publishing posters: an upload naming another video's file, or a stranger's, is refused and deletes nothing; an unconverted video takes none",
  async (t, scope) => {
    const { store, component, videoStore, dir } = await setUp(scope);
    const { videoId, ownerId } = await published(store, component.commands);
    const other = await published(store, component.commands);
    const jpeg = await picture(dir, 'photo.jpg');
    const othersUpload = await uploadPoster(videoStore, other.videoId, other.ownerId, jpeg);
    const stolen = {
      ...uploadVideoPosterControl(videoId, ownerId),
      data: { videoId, imageUri: othersUpload.data.imageUri },
    };
    const source = {
      ...uploadVideoPosterControl(videoId, ownerId),
      data: { videoId, imageUri: uriOfKey(videoKeys.source(videoId)) },
    };
    const ownersNext = await uploadPoster(videoStore, videoId, ownerId, jpeg);
    const strangers = { ...ownersNext, id: randomUUID(), metadata: { userId: randomUUID(), traceId: randomUUID() } };
    await videoStore.put(videoKeys.source(videoId), createReadStream(jpeg));
    const waiting = publishVideoControl();
    await writeCommand(store, waiting);
    const early = await uploadPoster(videoStore, waiting.data.videoId, waiting.data.ownerId, jpeg);
    for (const command of [stolen, source, strangers, early]) await writeCommand(store, command);
    await drain(component.commands);

    t.deepEqual(
      (await answersOf(store, videoId)).map(([type, data]) => [type, reasonOf(data)]),
      [
        ['VideoPosterRejected', REJECTION_REASONS.posterOtherUpload],
        ['VideoPosterRejected', REJECTION_REASONS.posterOtherUpload],
        ['VideoPosterRejected', REJECTION_REASONS.notOwner],
      ],
      "another video's upload, the video's own source, a stranger's command: each refused",
    );
    t.ok(await videoStore.stat(othersUpload.data.imageUri), "the other video's upload is still there");
    t.ok(await videoStore.stat(uriOfKey(videoKeys.source(videoId))), "nor the video's source");
    t.ok(
      await videoStore.stat(ownersNext.data.imageUri),
      "the owner's upload named by the stranger is still there, for the owner's own command",
    );
    t.deepEqual(
      (await answersOf(store, waiting.data.videoId)).map(([, data]) => reasonOf(data)),
      [REJECTION_REASONS.notConverted],
      'a video still converting takes no poster',
    );
    t.equal(await videoStore.stat(early.data.imageUri), undefined, 'and its upload is removed');
  },
);

scopedTest(
  'video-publishing posters: ChooseVideoPoster and UploadVideoPoster delivered twice have one effect; a crash before the upload was removed is mended',
  async (t, scope) => {
    const { store } = openMemoryStore(scope);
    const recording = recordingStore(store);
    const dir = await tempDir(scope);
    const videoStore = videoStoreIn(dir);
    const component = videoPublishing(scope, recording, videoStore);
    const { videoId, ownerId } = await published(store, component.commands);
    const jpeg = await picture(dir, 'photo.jpg');
    const commands: RawMessage[] = [
      await writeCommand(store, chooseVideoPosterControl(videoId, 1, ownerId)),
      await writeCommand(store, await uploadPoster(videoStore, videoId, ownerId, jpeg)),
    ];
    for (const command of commands) await component.handlers.commands(command);
    const attempts = recording.attempts.length;
    // As if the process had died between recording the poster and removing the upload.
    const { imageUri } = commands[1]!.data as { imageUri: string };
    await videoStore.put(videoKeys.posterUpload(videoId, imageUri.split('/').at(-1)!), createReadStream(jpeg));
    for (const command of commands) await component.handlers.commands(command);

    t.equal(recording.attempts.length, attempts, 'the second deliveries found their answers and tried no write');
    t.deepEqual(
      (await typesOf(store, videoId)).slice(2),
      ['VideoPosterChanged', 'VideoPosterChanged'],
      'one answer each',
    );
    t.equal(await videoStore.stat(imageUri), undefined, 'the upload left by the crash is removed by the redelivery');
  },
);

test('video-publishing posters: pictures are probed and re-encoded through the sandbox that confines transcoding', async (t) => {
  const calls: string[] = [];
  const sandbox: Sandbox = {
    async command(tool, args, limits) {
      calls.push(`${tool === FFPROBE ? 'ffprobe' : 'ffmpeg'} limited to ${limits?.memoryBytes} bytes`);
      return { argv: [tool, ...args], limited: false };
    },
  };
  const signal = new AbortController().signal;
  const options = { signal, sandbox, limits: DEFAULT_TRANSCODE_LIMITS };
  await probeImage(FFPROBE, '/nonexistent', options);
  await reencodeImage(FFMPEG, '/nonexistent', '/nonexistent.jpg', options).catch(() => undefined);
  t.deepEqual(
    calls,
    [
      `ffprobe limited to ${DEFAULT_TRANSCODE_LIMITS.memoryBytes} bytes`,
      `ffmpeg limited to ${DEFAULT_TRANSCODE_LIMITS.memoryBytes} bytes`,
    ],
    'both runs went through it, under the memory limit of a transcode',
  );
});
