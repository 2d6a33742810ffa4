export type { ByteRange, OpenedFile, PutOptions, StoredFile, VideoStore } from './video-store.ts';
export { createLocalVideoStore, type LocalVideoStoreOptions } from './local-video-store.ts';
export {
  assertVideoKey,
  isVideoStoreUri,
  keyOfUri,
  posterUploadIdOf,
  uriOfKey,
  VIDEO_STORE_SCHEME,
  videoKeys,
} from './keys.ts';
export { InvalidVideoKeyError, RangeNotSatisfiableError, VideoNotFoundError, VideoTooLargeError } from './errors.ts';
