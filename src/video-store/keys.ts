import { z } from 'zod';
import { InvalidVideoKeyError } from './errors.ts';

/**
 * URIs name a stored file by its key alone, not by where a backend keeps it, so the URIs in
 * events stay valid if the files move to another backend (an object store).
 */
export const VIDEO_STORE_SCHEME = 'video-store:';

// Letters, digits, `_` and `-`, with single dots between them: no `..`, no hidden names, no
// separators of any platform. Every key we make fits; anything else is refused, not cleaned.
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;
const MAX_SEGMENTS = 4;
const MAX_SEGMENT_LENGTH = 128;

const uuid = z.uuid();

/** Throws InvalidVideoKeyError unless `key` is `segment(/segment)*` as described above. */
export function assertVideoKey(key: string): void {
  const segments = key.split('/');
  const valid =
    segments.length <= MAX_SEGMENTS &&
    segments.every((segment) => segment.length <= MAX_SEGMENT_LENGTH && SEGMENT.test(segment));
  if (!valid) throw new InvalidVideoKeyError(`not a video store key: ${JSON.stringify(key)}`);
}

export function uriOfKey(key: string): string {
  assertVideoKey(key);
  return `${VIDEO_STORE_SCHEME}${key}`;
}

export function keyOfUri(uri: string): string {
  if (!uri.startsWith(VIDEO_STORE_SCHEME))
    throw new InvalidVideoKeyError(`not a video store URI: ${JSON.stringify(uri)}`);
  const key = uri.slice(VIDEO_STORE_SCHEME.length);
  assertVideoKey(key);
  return key;
}

export function isVideoStoreUri(value: string): boolean {
  try {
    keyOfUri(value);
    return true;
  } catch {
    return false;
  }
}

function idKey(prefix: string, videoId: string, extension = ''): string {
  if (!uuid.safeParse(videoId).success) throw new InvalidVideoKeyError(`not a video id: ${JSON.stringify(videoId)}`);
  return `${prefix}/${videoId.toLowerCase()}${extension}`;
}

/** Where each file of a video lives: named by the video's id, never by anything a user typed. */
export const videoKeys = {
  /** The file as uploaded (no extension: its format is found by probing, not trusted from a name). */
  source: (videoId: string): string => idKey('source', videoId),
  transcoded: (videoId: string): string => idKey('transcoded', videoId, '.mp4'),
  poster: (videoId: string): string => idKey('posters', videoId, '.jpg'),
  /** Frame `index` of the strip a transcode offers as other posters. */
  posterCandidate: (videoId: string, index: number): string =>
    `${idKey('posters', videoId)}/frame-${Math.trunc(index)}.jpg`,
  /** An image as the creator uploaded it, waiting to be decoded and re-encoded (never served). */
  posterUpload: (videoId: string, uploadId: string): string => idKey(idKey('poster-uploads', videoId), uploadId),
  /** An uploaded image as the component re-encoded it: what is served. */
  uploadedPoster: (videoId: string, uploadId: string): string => idKey(idKey('posters', videoId), uploadId, '.jpg'),
  /** Where the candidates and uploaded posters of a video live: removed whole with the video. */
  posterFolder: (videoId: string): string => idKey('posters', videoId),
  /** Where the creator's poster uploads wait: removed whole with the video. */
  posterUploadFolder: (videoId: string): string => idKey('poster-uploads', videoId),
} as const;

/**
 * The upload id in `uri` if it is one of `videoId`'s own poster uploads
 * (`videoKeys.posterUpload(videoId, <uuid>)`), else undefined: a command naming any other
 * file must not have it read, re-encoded or deleted.
 */
export function posterUploadIdOf(videoId: string, uri: string): string | undefined {
  const uploadId = uri.split('/').at(-1) ?? '';
  if (!uuid.safeParse(videoId).success || !uuid.safeParse(uploadId).success) return undefined;
  return uri === uriOfKey(videoKeys.posterUpload(videoId, uploadId)) ? uploadId : undefined;
}
