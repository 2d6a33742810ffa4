import { pipeline, Transform, type Readable } from 'node:stream';
import busboy, { type Busboy } from 'busboy';
import type { Request } from 'express';
import { VideoTooLargeError, type StoredFile, type VideoStore } from '../../video-store/index.ts';
import { BadRequestError, HttpError } from '../../web/errors.ts';
import { watchTransferRate, type MinimumRate } from './transfer-rate.ts';

/** The form's file input. */
export const FILE_FIELD = 'video';
// A description of 5,000 characters in a non-Latin script is up to 20 KB; a field cut at this
// length is still longer than any rule allows, so it is refused, never kept cut short.
const FIELD_BYTES = 64 * 1024;
// Room for the multipart boundaries and part headers around the file itself.
const FORM_OVERHEAD_BYTES = 4 * FIELD_BYTES;

interface UploadTarget {
  readonly videoStore: VideoStore;
  readonly key: string;
  readonly maxBytes: number;
  /** Slower than this over its window, the upload is cut off: its slot is worth more to someone else. */
  readonly minimumRate: MinimumRate;
  /** The form's file input (FILE_FIELD unless given). */
  readonly field?: string;
  /** What the refusal of a file over maxBytes says. */
  readonly tooLarge?: (maxBytes: number) => HttpError;
  /**
   * Called with the text fields sent before the file, and the file's name as the browser gave
   * it, before a byte is stored: throwing refuses the upload with nothing kept. The form puts
   * its text fields first for this.
   */
  readonly beforeFile?: (fields: Readonly<Record<string, string>>, filename: string) => void;
  /** Called with the file's first bytes (at most `headBytes`, fewer for a shorter file): an error returned refuses it, nothing kept. */
  /** What a form without the file is told. */
  readonly missingFile?: string;
  readonly inspectHead?: { readonly bytes: number; readonly check: (head: Buffer) => HttpError | undefined };
}

/** The stored file, with the form's text fields and the file's name as sent (never used as a key). */
interface ReceivedUpload extends StoredFile {
  readonly fields: Readonly<Record<string, string>>;
  readonly filename: string;
}

const TOO_SLOW =
  'The upload was too slow to finish, so it was stopped and nothing was kept. Try again on a faster connection, or with a smaller file.';

function videoTooLarge(maxBytes: number): HttpError {
  const megabytes = Math.floor(maxBytes / (1024 * 1024));
  return new HttpError(
    413,
    `That file is larger than the ${megabytes} MB a video may be. Nothing was kept; try a shorter or smaller video.`,
  );
}

// Enough to let a browser finish sending what it had in flight and read our answer.
const DRAIN_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * Reads the rest of a refused body and drops it, so the client gets our answer rather than a
 * reset connection; but only so much, and the connection is not kept: a client that keeps
 * sending (an endless chunked body) is cut off instead of being read for ever.
 */
function discardRest(req: Request): void {
  if (req.res && !req.res.headersSent) req.res.set('Connection', 'close');
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** Passes a stream through once its first `bytes` pass `check`; otherwise fails with check's error before anything is written. */
function headCheck(bytes: number, check: (head: Buffer) => HttpError | undefined): Transform {
  let head = Buffer.alloc(0);
  let checked = false;
  const decide = (stream: Transform, done: (error?: Error | null) => void) => {
    checked = true;
    const refused = check(head);
    if (refused) return done(refused);
    stream.push(head);
    done();
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (checked) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < bytes) return done();
      decide(this, done);
    },
    flush(done) {
      if (checked) return done();
      decide(this, done);
    },
  });
}

/** The file as the store is to read it: failing as soon as its head is refused, and with the file's own errors. */
function checkedHead(file: Readable, { bytes, check }: NonNullable<UploadTarget['inspectHead']>): Readable {
  const checker = headCheck(bytes, check);
  // The store sees the error through the checker, which pipeline destroys with it.
  pipeline(file, checker, () => undefined);
  return checker;
}

/**
 * Streams the form's one file straight into the video store under `key` (never the whole file
 * in memory), stopping at `maxBytes`. Whatever goes wrong, nothing is left under the key.
 */
export function receiveUpload(
  req: Request,
  {
    videoStore,
    key,
    maxBytes,
    minimumRate,
    field: fileField = FILE_FIELD,
    tooLarge = videoTooLarge,
    beforeFile,
    inspectHead,
    missingFile = 'Choose a video file to upload.',
  }: UploadTarget,
): Promise<ReceivedUpload> {
  const declared = Number(req.get('content-length'));
  if (declared > maxBytes + FORM_OVERHEAD_BYTES) {
    discardRest(req);
    return Promise.reject(tooLarge(maxBytes));
  }
  let parser: Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 8, fieldSize: FIELD_BYTES, parts: 10, headerPairs: 20 },
    });
  } catch {
    discardRest(req);
    return Promise.reject(new BadRequestError('Send the video with the upload form (a multipart form with one file).'));
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let stored: Promise<StoredFile> | undefined;
    const fields: Record<string, string> = {};
    let filename = '';
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      stopWatching();
      req.unpipe(parser);
      parser.destroy();
      discardRest(req);
      // Answer only once the store has dropped the file (a failed put deletes its partial itself).
      const cleared = stored
        ? stored.then(
            (file) => videoStore.remove(file.uri),
            () => undefined,
          )
        : Promise.resolve();
      void cleared
        .catch(() => undefined)
        .then(() => reject(error instanceof VideoTooLargeError ? tooLarge(maxBytes) : error));
    };

    parser.on('field', (name, value) => {
      if (!Object.hasOwn(fields, name)) fields[name] = value;
    });
    parser.on('file', (field, file, info) => {
      // A part we do not store may be cut off by a refusal (the parser destroyed): not an error of ours.
      file.on('error', () => undefined);
      // A browser sends an empty part named "" when no file was chosen.
      if (field !== fileField || stored || info.filename === '') {
        file.resume();
        return;
      }
      filename = info.filename ?? '';
      try {
        beforeFile?.(fields, filename);
      } catch (error) {
        file.resume();
        fail(error);
        return;
      }
      stored = videoStore.put(key, inspectHead ? checkedHead(file, inspectHead) : file, { maxBytes });
      stored.catch(fail);
    });
    parser.on('error', () => fail(new BadRequestError('The upload was cut short or garbled. Please try again.')));
    parser.on('close', () => {
      if (!stored) return fail(new BadRequestError(missingFile));
      stored.then((file) => {
        if (settled) return;
        settled = true;
        stopWatching();
        resolve({ ...file, fields, filename });
      }, fail);
    });
    // A client that goes away mid-upload: the store drops the partial file.
    req.once('close', () => {
      if (!req.complete) fail(new BadRequestError('The upload did not finish. Please try again.'));
    });
    // A trickling client is not drained as a refused one is: once told, its connection is closed.
    const stopWatching = watchTransferRate(req, minimumRate, () => {
      req.res?.once('finish', () => req.socket.destroy());
      fail(new HttpError(408, TOO_SLOW));
    });
    req.pipe(parser);
  });
}
