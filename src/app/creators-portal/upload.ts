import busboy, { type Busboy } from 'busboy';
import type { Request } from 'express';
import { VideoTooLargeError, type StoredFile, type VideoStore } from '../../video-store/index.ts';
import { BadRequestError, HttpError } from '../../web/errors.ts';
import { watchTransferRate, type MinimumRate } from './transfer-rate.ts';

/** The form's file input. */
export const FILE_FIELD = 'video';
// Room for the multipart boundaries and part headers around the file itself.
const FORM_OVERHEAD_BYTES = 64 * 1024;

interface UploadTarget {
  readonly videoStore: VideoStore;
  readonly key: string;
  readonly maxBytes: number;
  /** Slower than this over its window, the upload is cut off: its slot is worth more to someone else. */
  readonly minimumRate: MinimumRate;
}

const TOO_SLOW = 'The upload was too slow to finish, so it was stopped and nothing was kept. Try again on a faster connection, or with a smaller file.';

function tooLarge(maxBytes: number): HttpError {
  const megabytes = Math.floor(maxBytes / (1024 * 1024));
  return new HttpError(413, `That file is larger than the ${megabytes} MB a video may be. Nothing was kept; try a shorter or smaller video.`);
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

/**
 * Streams the form's one file straight into the video store under `key` (never the whole file
 * in memory), stopping at `maxBytes`. Whatever goes wrong, nothing is left under the key.
 */
export function receiveUpload(req: Request, { videoStore, key, maxBytes, minimumRate }: UploadTarget): Promise<StoredFile> {
  const declared = Number(req.get('content-length'));
  if (declared > maxBytes + FORM_OVERHEAD_BYTES) {
    discardRest(req);
    return Promise.reject(tooLarge(maxBytes));
  }
  let parser: Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 8, fieldSize: 4096, parts: 10, headerPairs: 20 } });
  } catch {
    discardRest(req);
    return Promise.reject(new BadRequestError('Send the video with the upload form (a multipart form with one file).'));
  }

  return new Promise<StoredFile>((resolve, reject) => {
    let stored: Promise<StoredFile> | undefined;
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
      void cleared.catch(() => undefined).then(() => reject(error instanceof VideoTooLargeError ? tooLarge(maxBytes) : error));
    };

    parser.on('file', (field, file, info) => {
      // A browser sends an empty part named "" when no file was chosen.
      if (field !== FILE_FIELD || stored || info.filename === '') {
        file.resume();
        return;
      }
      stored = videoStore.put(key, file, { maxBytes });
      stored.catch(fail);
    });
    parser.on('error', () => fail(new BadRequestError('The upload was cut short or garbled. Please try again.')));
    parser.on('close', () => {
      if (!stored) return fail(new BadRequestError('Choose a video file to upload.'));
      stored.then((file) => {
        if (settled) return;
        settled = true;
        stopWatching();
        resolve(file);
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
