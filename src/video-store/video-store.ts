import type { Readable } from 'node:stream';

export interface StoredFile {
  /** `video-store:<key>`: what events carry. */
  readonly uri: string;
  readonly bytes: number;
}

/** Inclusive byte offsets, as in an HTTP Range header: start defaults to 0, end to the last byte (a suffix range is the caller's sum). */
export interface ByteRange {
  readonly start?: number;
  readonly end?: number;
}

export interface OpenedFile {
  readonly stream: Readable;
  /** The whole file's size, for Content-Range. */
  readonly size: number;
  /** The bytes the stream carries, inclusive (end is start − 1 for an empty file). */
  readonly start: number;
  readonly end: number;
}

export interface PutOptions {
  readonly signal?: AbortSignal;
  /** More than this and nothing is stored (VideoTooLargeError). */
  readonly maxBytes?: number;
}

/**
 * Where uploaded and transcoded videos and their posters live. Callers name files by keys
 * they build from ids (videoKeys); a file appears under its key whole or not at all.
 * Tools that need a path (ffmpeg) borrow one through withLocalFile / writeLocalFile, so a
 * backend without local files (an object store) can copy to and from a temporary file there.
 */
export interface VideoStore {
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredFile>;
  /** Throws VideoNotFoundError, or RangeNotSatisfiableError for a range outside the file. */
  open(uri: string, range?: ByteRange): Promise<OpenedFile>;
  stat(uri: string): Promise<{ readonly bytes: number; readonly modifiedAt: Date } | undefined>;
  /** Removing a file that is not there is not an error. */
  remove(uri: string): Promise<void>;
  /**
   * Removes the file or folder at `key` and all under it (a video's poster folder, say); absent
   * is fine. Refused for a key of one segment (InvalidVideoKeyError): that is a whole kind of
   * file, every video's.
   */
  removeAll(key: string): Promise<void>;
  /**
   * Where the file of `uri` lies under the store's folder, `/`-separated (`transcoded/<id>.mp4`),
   * from the URI alone, for a web server that serves the same folder (X-Accel-Redirect). Throws
   * InvalidVideoKeyError for a URI the store does not make. Whether the file exists is not asked.
   */
  relativePathOf(uri: string): string;
  /** Runs `use` with a path it may read until it returns; throws VideoNotFoundError first if there is no such file. */
  withLocalFile<T>(uri: string, use: (file: string) => Promise<T>): Promise<T>;
  /**
   * Runs `write` with a temporary path (ending like the key, so tools can tell the format) and
   * stores what it wrote under `key` once it resolves. If it throws, the temporary file is
   * deleted and nothing is stored.
   */
  writeLocalFile(key: string, write: (file: string) => Promise<void>): Promise<StoredFile>;
}
