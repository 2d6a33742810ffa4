import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { text } from 'node:stream/consumers';
import test from 'tape';
import {
  createLocalVideoStore,
  InvalidVideoKeyError,
  posterUploadIdOf,
  RangeNotSatisfiableError,
  uriOfKey,
  VideoNotFoundError,
  VideoTooLargeError,
  videoKeys,
  type VideoStore,
} from '../../src/video-store/index.ts';
import type { Scope } from '../helpers/scope.ts';
import { scopedTest } from '../helpers/scoped-test.ts';

async function tempStore(
  scope: Scope,
  options: { partialMaxAgeMs?: number } = {},
): Promise<{ store: VideoStore; dir: string; outside: string }> {
  const base = scope.add(await mkdtemp(path.join(os.tmpdir(), 'video-store-')), (dir) =>
    rm(dir, { recursive: true, force: true }),
  );
  const dir = path.join(base, 'videos');
  return { store: createLocalVideoStore({ dir, ...options }), dir, outside: base };
}

const body = (content: string | Buffer) => Readable.from([Buffer.from(content)]);

/** Every file under `dir`, relative, so a test sees stray partial files too. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

scopedTest(
  'video store: put then open gives the bytes back, stat their count, and only the final file is left',
  async (t, scope) => {
    const { store, dir } = await tempStore(scope);
    const videoId = randomUUID();
    const content = 'not really a video, but bytes are bytes\n'.repeat(1000);
    const stored = await store.put(videoKeys.source(videoId), body(content));

    t.equal(stored.uri, `video-store:source/${videoId}`, 'a URI made of the key');
    t.equal(stored.bytes, content.length);
    const opened = await store.open(stored.uri);
    t.equal(opened.size, content.length);
    t.deepEqual([opened.start, opened.end], [0, content.length - 1]);
    t.equal(await text(opened.stream), content, 'the same bytes');
    t.equal((await store.stat(stored.uri))?.bytes, content.length);
    t.deepEqual(await filesUnder(dir), [path.join('source', videoId)], 'under its key, and no partial file');
    t.equal(
      await store.withLocalFile(stored.uri, (file) => readFile(file, 'utf8')),
      content,
      'a local path to the same file',
    );
  },
);

scopedTest(
  'video store: byte ranges are inclusive, as HTTP Range is; a range outside the file is refused with its size',
  async (t, scope) => {
    const { store } = await tempStore(scope);
    const { uri } = await store.put(videoKeys.transcoded(randomUUID()), body('0123456789'));
    const read = async (range: { start?: number; end?: number }) => {
      const opened = await store.open(uri, range);
      return [await text(opened.stream), opened.start, opened.end, opened.size];
    };

    t.deepEqual(await read({ start: 2, end: 5 }), ['2345', 2, 5, 10], 'start and end');
    t.deepEqual(await read({ start: 7 }), ['789', 7, 9, 10], 'open end: to the last byte');
    t.deepEqual(await read({ end: 1 }), ['01', 0, 1, 10], 'open start: from the first byte');
    t.deepEqual(await read({ start: 8, end: 500 }), ['89', 8, 9, 10], 'an end past the file is cut to it');
    t.deepEqual(await read({ start: 9, end: 9 }), ['9', 9, 9, 10], 'one byte');
    for (const range of [{ start: 10 }, { start: 6, end: 5 }, { start: -1 }, { start: 1.5 }]) {
      const error = await rejection(store.open(uri, range));
      t.ok(
        error instanceof RangeNotSatisfiableError && error.size === 10,
        `${JSON.stringify(range)} is not satisfiable (size given)`,
      );
    }
    const empty = await store.put('transcoded/empty.mp4', body(''));
    const opened = await store.open(empty.uri);
    t.deepEqual([await text(opened.stream), opened.size], ['', 0], 'an empty file opens empty');
  },
);

scopedTest(
  'video store: keys and URIs that could reach outside the directory are refused, and nothing is written there',
  async (t, scope) => {
    const { store, outside } = await tempStore(scope);
    await writeFile(path.join(outside, 'secret'), 'keep out');
    const keys = [
      '../secret',
      'source/../../secret',
      '/etc/passwd',
      'source/..',
      '..',
      '.partial/x',
      'source//x',
      'source/',
      '',
      'a\\..\\secret',
      'source/a b',
      'source/%2e%2e',
      'source/x\0',
      'a/b/c/d/e',
    ];
    for (const key of keys) {
      t.ok(
        (await rejection(store.put(key, body('x')))) instanceof InvalidVideoKeyError,
        `put ${JSON.stringify(key)} refused`,
      );
    }
    const uris = [
      'video-store:../secret',
      'video-store:source/../../secret',
      'video-store:/etc/passwd',
      'file:///etc/passwd',
      '../secret',
      'video-store:',
    ];
    for (const uri of uris) {
      for (const [name, attempt] of [
        ['open', () => store.open(uri)],
        ['stat', () => store.stat(uri)],
        ['remove', () => store.remove(uri)],
        ['withLocalFile', () => store.withLocalFile(uri, async () => 'used')],
        ['relativePathOf', async () => store.relativePathOf(uri)],
      ] as const) {
        t.ok((await rejection(attempt())) instanceof InvalidVideoKeyError, `${name} ${JSON.stringify(uri)} refused`);
      }
    }
    t.equal(await readFile(path.join(outside, 'secret'), 'utf8'), 'keep out', 'the file outside is untouched');
    t.throws(() => videoKeys.source('../../secret'), InvalidVideoKeyError, 'a video id must be a uuid to become a key');
  },
);

scopedTest(
  'video store: relativePathOf names the file under the folder as a web server serving it would, from the URI alone',
  async (t, scope) => {
    const { store, dir } = await tempStore(scope);
    const videoId = randomUUID();
    const stored = await store.put(videoKeys.transcoded(videoId), body('mp4'));
    const relative = store.relativePathOf(stored.uri);
    t.equal(relative, `transcoded/${videoId}.mp4`, 'its key, `/`-separated');
    t.equal(await readFile(path.join(dir, relative), 'utf8'), 'mp4', 'and that is where the file is');
    t.equal(
      store.relativePathOf(uriOfKey(videoKeys.posterCandidate(videoId, 2))),
      `posters/${videoId}/frame-2.jpg`,
      'a file in a folder of its own too, whether or not it exists',
    );
  },
);

scopedTest('video store: remove deletes the file, and removing it again is not an error', async (t, scope) => {
  const { store } = await tempStore(scope);
  const { uri } = await store.put(videoKeys.poster(randomUUID()), body('jpeg'));
  await store.remove(uri);
  t.equal(await store.stat(uri), undefined, 'gone');
  t.ok((await rejection(store.open(uri))) instanceof VideoNotFoundError, 'open says not found');
  t.ok(
    (await rejection(store.withLocalFile(uri, async () => 'used'))) instanceof VideoNotFoundError,
    'no local path to a missing file',
  );
  await store.remove(uri);
  t.pass('a second remove is fine');
});

scopedTest(
  "video store: removeAll removes a video's poster folder whole, again harmlessly, and never a whole kind of file",
  async (t, scope) => {
    const { store, dir } = await tempStore(scope);
    const [videoId, other] = [randomUUID(), randomUUID()];
    for (const key of [
      videoKeys.posterCandidate(videoId, 0),
      videoKeys.uploadedPoster(videoId, randomUUID()),
      videoKeys.poster(videoId),
      videoKeys.posterCandidate(other, 0),
    ]) {
      await store.put(key, body('jpeg'));
    }
    await store.removeAll(videoKeys.posterFolder(videoId));
    await store.removeAll(videoKeys.posterFolder(videoId));
    t.deepEqual(
      await filesUnder(dir),
      [`posters/${other}/frame-0.jpg`, `posters/${videoId}.jpg`].sort(),
      "the folder is gone; the video's poster beside it and another video's folder stay",
    );
    t.ok(
      (await rejection(store.removeAll('posters'))) instanceof InvalidVideoKeyError,
      "a one-segment key (every video's posters) is refused",
    );
    t.ok(
      (await rejection(store.removeAll('posters/..'))) instanceof InvalidVideoKeyError,
      'and a key that leaves the store',
    );
    t.equal((await filesUnder(dir)).length, 2, 'nothing else was touched');
  },
);

test("video keys: posterUploadIdOf accepts only the video's own poster uploads", (t) => {
  const [videoId, uploadId] = [randomUUID(), randomUUID()];
  t.equal(posterUploadIdOf(videoId, uriOfKey(videoKeys.posterUpload(videoId, uploadId))), uploadId, 'its own upload');
  t.equal(
    posterUploadIdOf(videoId, uriOfKey(videoKeys.posterUpload(randomUUID(), uploadId))),
    undefined,
    "another video's upload",
  );
  t.equal(posterUploadIdOf(videoId, uriOfKey(videoKeys.source(videoId))), undefined, 'its video upload');
  t.equal(
    posterUploadIdOf(videoId, uriOfKey(videoKeys.uploadedPoster(videoId, uploadId))),
    undefined,
    'a re-encoded poster',
  );
  t.equal(
    posterUploadIdOf(videoId, `video-store:poster-uploads/${videoId}/not-a-uuid`),
    undefined,
    'a name that is not an upload id',
  );
  t.end();
});

scopedTest(
  'video store: a write that fails half-way leaves nothing under the key and no partial file',
  async (t, scope) => {
    const { store, dir } = await tempStore(scope);
    const key = videoKeys.source(randomUUID());
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error('connection reset by the uploader'));
      },
    });
    t.match(String(await rejection(store.put(key, broken))), /connection reset/, 'the stream error comes through');
    t.ok(
      (await rejection(store.put(key, body('x'.repeat(11)), { maxBytes: 10 }))) instanceof VideoTooLargeError,
      'too large is refused',
    );
    t.match(
      String(
        await rejection(
          store.writeLocalFile(key, async (file) => {
            await writeFile(file, 'half a video');
            throw new Error('ffmpeg was killed');
          }),
        ),
      ),
      /killed/,
      'a tool that fails after writing',
    );
    t.deepEqual(await filesUnder(dir), [], 'nothing at the key, nothing partial');

    const stored = await store.writeLocalFile(key, (file) => writeFile(file, 'a whole video'));
    t.deepEqual(await filesUnder(dir), [key], 'a tool that succeeds: its file is moved into place');
    t.equal(stored.bytes, 'a whole video'.length);
  },
);

scopedTest(
  'video store: a partial file a crash left behind is swept once it is old; a fresh one is left alone',
  async (t, scope) => {
    const { store, dir } = await tempStore(scope, { partialMaxAgeMs: 60_000 });
    await store.put('source/first', body('x'));
    const abandoned = path.join(dir, '.partial', 'crashed-source');
    const inProgress = path.join(dir, '.partial', 'running-source');
    await writeFile(abandoned, 'half');
    await writeFile(inProgress, 'half');
    const hourAgo = new Date(Date.now() - 60 * 60 * 1000);
    await utimes(abandoned, hourAgo, hourAgo);
    // A new store (a restart) sweeps at its first write.
    await createLocalVideoStore({ dir, partialMaxAgeMs: 60_000 }).put('source/second', body('y'));
    t.deepEqual(
      await filesUnder(path.join(dir, '.partial')),
      ['running-source'],
      'the old one is gone, the fresh one kept',
    );
  },
);

scopedTest(
  'video store: a put that fails before it reads its body (no room for the partial file) rejects, and the body failing afterwards is handled, not a crash',
  async (t, scope) => {
    const { store, dir } = await tempStore(scope);
    // Where the partial files go cannot be made, as on a full or read-only disk.
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.partial'), 'not a folder');
    const upload = new PassThrough();
    const failed = await rejection(store.put(videoKeys.source(randomUUID()), upload));
    t.ok(failed instanceof Error, `the put rejects (${String(failed)})`);
    // The sender's stream then ends in error (busboy's, when the form is abandoned): nobody else listens to it.
    upload.destroy(new Error('Unexpected end of file'));
    await sleep(20);
    t.pass('and the process is still here');
  },
);
