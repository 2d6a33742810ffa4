import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import {
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
export async function sendStoredFile(
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
