import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidVideoKeyError, RangeNotSatisfiableError, VideoNotFoundError, VideoTooLargeError } from './errors.ts';
import { assertVideoKey, keyOfUri, uriOfKey } from './keys.ts';
import { createPartials } from './partials.ts';
import type { ByteRange, OpenedFile, VideoStore } from './video-store.ts';

export interface LocalVideoStoreOptions {
  /** VIDEO_DIR: every file lives under it. */
  readonly dir: string;
  /** Partial files older than this are taken for a crashed write's and deleted; an hour unless given. */
  readonly partialMaxAgeMs?: number;
  readonly now?: () => number;
}

const HOUR_MS = 60 * 60 * 1000;

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function limitTo(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > maxBytes ? new VideoTooLargeError(maxBytes) : null, chunk);
    },
  });
}

/** Inclusive offsets within a file of `size` bytes, or undefined when the range does not fit it. */
function boundsOf(range: ByteRange, size: number): { start: number; end: number } | undefined {
  const { start = 0, end = size - 1 } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) return undefined;
  if (range.start === undefined && range.end === undefined) return { start: 0, end: size - 1 };
  if (start >= size || end < start) return undefined;
  return { start, end: Math.min(end, size - 1) };
}

/** The video store on a local disk: `<dir>/<key>`, for one machine or a shared mount. */
export function createLocalVideoStore({
  dir,
  partialMaxAgeMs = HOUR_MS,
  now = Date.now,
}: LocalVideoStoreOptions): VideoStore {
  const root = path.resolve(dir);
  const partials = createPartials({ root, maxAgeMs: partialMaxAgeMs, now });

  function fileOf(key: string): string {
    assertVideoKey(key);
    const file = path.resolve(root, ...key.split('/'));
    // The key rules already forbid it; this keeps a future change to them from opening a way out.
    const relative = path.relative(root, file);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
      throw new InvalidVideoKeyError(`key escapes the store: ${JSON.stringify(key)}`);
    return file;
  }

  const fileOfUri = (uri: string): string => fileOf(keyOfUri(uri));

  async function writeThrough(key: string, write: (partial: string) => Promise<void>) {
    const final = fileOf(key);
    const partial = await partials.create(key);
    try {
      await write(partial);
      return { uri: uriOfKey(key), bytes: await partials.commit(partial, final) };
    } catch (error) {
      await partials.discard(partial);
      throw error;
    }
  }

  return {
    put(key, body, { signal, maxBytes } = {}) {
      // The body is ours from here. If the partial file cannot even be made (a full or read-only
      // disk), nothing pipes it, and an error it raises later (its sender gone) would otherwise
      // have no listener and bring the process down.
      body.on('error', () => undefined);
      return writeThrough(key, async (partial) => {
        const target = createWriteStream(partial, { flags: 'wx' });
        const options = signal ? { signal } : {};
        try {
          if (maxBytes === undefined) await pipeline(body, target, options);
          else await pipeline(body, limitTo(maxBytes), target, options);
        } catch (error) {
          // A source that fails at once can fail before the file is even opened; the open still
          // completes later and would recreate the partial after it was discarded. Wait for it.
          if (!target.closed) await once(target, 'close').catch(() => undefined);
          throw error;
        }
      });
    },

    async open(uri, range = {}): Promise<OpenedFile> {
      const file = fileOfUri(uri);
      // Opened before it is measured: a rename that replaces the file meanwhile cannot mix two versions.
      const handle = await open(file, 'r').catch((error: unknown) => {
        throw isMissing(error) ? new VideoNotFoundError(uri) : error;
      });
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw new VideoNotFoundError(uri);
        const bounds = boundsOf(range, info.size);
        if (!bounds) throw new RangeNotSatisfiableError(uri, info.size);
        if (bounds.end < bounds.start) {
          await handle.close();
          return { stream: Readable.from([]), size: info.size, ...bounds };
        }
        return {
          stream: handle.createReadStream({ start: bounds.start, end: bounds.end }),
          size: info.size,
          ...bounds,
        };
      } catch (error) {
        await handle.close();
        throw error;
      }
    },

    async stat(uri) {
      const info = await stat(fileOfUri(uri)).catch((error: unknown) => {
        if (isMissing(error)) return undefined;
        throw error;
      });
      return info?.isFile() ? { bytes: info.size, modifiedAt: info.mtime } : undefined;
    },

    async remove(uri) {
      await unlink(fileOfUri(uri)).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    },

    async removeAll(key) {
      if (!key.includes('/'))
        throw new InvalidVideoKeyError(`not removed whole, every video's: ${JSON.stringify(key)}`);
      await rm(fileOf(key), { recursive: true, force: true });
    },

    relativePathOf(uri) {
      // Through fileOf, so the same check keeps it inside the folder; in URL form on any platform.
      return path.relative(root, fileOfUri(uri)).split(path.sep).join('/');
    },

    async withLocalFile(uri, use) {
      const file = fileOfUri(uri);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) throw new VideoNotFoundError(uri);
      return use(file);
    },

    writeLocalFile: writeThrough,
  };
}
