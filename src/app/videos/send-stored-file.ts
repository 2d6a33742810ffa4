import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import {
  InvalidVideoKeyError,
  RangeNotSatisfiableError,
  VideoNotFoundError,
  type ByteRange,
  type OpenedFile,
  type VideoStore,
} from '../../video-store/index.ts';
import { NotFoundError } from '../../web/errors.ts';
import { parseRange, type RangeRequest } from './byte-range.ts';

// A video's files never change once published; a short lifetime bounds how long an
// unpublished one lingers in a browser's cache.
const CACHE_CONTROL = 'private, max-age=300';

async function byteRange(store: VideoStore, uri: string, wanted: RangeRequest): Promise<ByteRange> {
  if (wanted.kind === 'whole') return {};
  if (wanted.kind === 'from')
    return wanted.end === undefined ? { start: wanted.start } : { start: wanted.start, end: wanted.end };
  // A suffix (the last n bytes) needs the size first.
  const size = (await store.stat(uri))?.bytes;
  if (size === undefined) throw new VideoNotFoundError(uri);
  if (wanted.length === 0 || size === 0) throw new RangeNotSatisfiableError(uri, size);
  return { start: Math.max(0, size - wanted.length) };
}

async function openRange(
  store: VideoStore,
  uri: string,
  wanted: RangeRequest,
): Promise<OpenedFile | { readonly unsatisfiable: number }> {
  try {
    return await store.open(uri, await byteRange(store, uri, wanted));
  } catch (error) {
    if (error instanceof RangeNotSatisfiableError) return { unsatisfiable: error.size };
    if (error instanceof VideoNotFoundError)
      throw new NotFoundError(
        'That file is not here. It may have been replaced by a newer one: reload the video’s page.',
        { title: 'File not found' },
      );
    throw error;
  }
}

/**
 * Serves a file of the video store with HTTP Range (206 and Content-Range; 416 for a range
 * outside it), so a player can seek without loading the whole video. Streams, never buffers.
 */
async function streamStoredFile(
  req: Request,
  res: Response,
  store: VideoStore,
  uri: string,
  contentType: string,
): Promise<void> {
  const wanted = parseRange(req.get('range'));
  const opened = await openRange(store, uri, wanted);
  if ('unsatisfiable' in opened) {
    res
      .status(416)
      .set({ 'Content-Range': `bytes */${opened.unsatisfiable}`, 'Accept-Ranges': 'bytes' })
      .end();
    return;
  }
  const partial = wanted.kind !== 'whole';
  res.status(partial ? 206 : 200).set({
    'Content-Type': contentType,
    'Content-Length': String(opened.end - opened.start + 1),
    'Accept-Ranges': 'bytes',
    'Cache-Control': CACHE_CONTROL,
    ...(partial && { 'Content-Range': `bytes ${opened.start}-${opened.end}/${opened.size}` }),
  });
  if (req.method === 'HEAD') {
    opened.stream.destroy();
    res.end();
    return;
  }
  // A viewer who seeks or leaves closes the connection mid-file: not an error worth a log line.
  await pipeline(opened.stream, res).catch(() => undefined);
}

/** VIDEO_DELIVERY=x-accel-redirect: the reverse proxy in front sends the files, from its internal location at `prefix`. */
export interface AccelRedirect {
  /** VIDEO_ACCEL_PREFIX: starts and ends with `/`. */
  readonly prefix: string;
}

/**
 * What X-Accel-Redirect names: the prefix, then the file's path in the store one segment at a time,
 * percent-encoded (nginx decodes it once). A `.`, `..` or empty segment is refused, not cleaned:
 * the store never makes one, and it could point outside the prefix.
 */
export function accelRedirectTarget(prefix: string, pathInStore: string): string {
  const segments = pathInStore.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    throw new InvalidVideoKeyError(`not a path inside the video store: ${JSON.stringify(pathInStore)}`);
  return prefix + segments.map(encodeURIComponent).join('/');
}

/** Sends the stored file at `uri`, once the route has decided the visitor may have it. */
export type StoredFileSender = (req: Request, res: Response, uri: string, contentType: string) => Promise<void>;

/**
 * The app streams the file itself, or, given `accel`, names it to the proxy in front: an empty 200
 * with X-Accel-Redirect, the type and the caching rule, and nginx answers the Range itself. Which
 * file comes from the store's mapping of the URI the route found, never from the request.
 */
export function storedFileSender(store: VideoStore, accel: AccelRedirect | undefined): StoredFileSender {
  if (accel === undefined) return (req, res, uri, contentType) => streamStoredFile(req, res, store, uri, contentType);
  if (!accel.prefix.startsWith('/') || !accel.prefix.endsWith('/'))
    throw new Error(`the X-Accel-Redirect prefix must start and end with "/", not ${JSON.stringify(accel.prefix)}`);
  return async (_req, res, uri, contentType) => {
    const target = accelRedirectTarget(accel.prefix, store.relativePathOf(uri));
    res.status(200).set({ 'X-Accel-Redirect': target, 'Content-Type': contentType, 'Cache-Control': CACHE_CONTROL });
    res.end();
  };
}
