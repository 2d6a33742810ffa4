import { VersionConflictError, type Message, type MessageStore } from '../../../message-store/index.ts';
import { POSTER_CANDIDATES } from '../../../contracts/video-publishing.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../../video-store/index.ts';
import { isSettled, videoProjection, type Video } from '../video.ts';

// Renames and progress reports land in the stream during a transcode; the outcome is written
// at the version just read, and read again on a conflict rather than transcode again.
const OUTCOME_WRITE_ATTEMPTS = 5;

/** Writing a video's one outcome, and tidying its files after: for the transcoders and the queue that refuses. */
export function createOutcomes({
  messageStore,
  videoStore,
}: {
  readonly messageStore: MessageStore;
  readonly videoStore: VideoStore;
}) {
  /** The files a failed attempt may have stored; absent ones are fine. */
  async function removeOutputs(videoId: string): Promise<void> {
    const candidates = Array.from({ length: POSTER_CANDIDATES }, (_, index) =>
      videoKeys.posterCandidate(videoId, index),
    );
    for (const key of [videoKeys.transcoded(videoId), videoKeys.poster(videoId), ...candidates])
      await videoStore.remove(uriOfKey(key));
  }

  /**
   * A failed video's files, the upload too: it is never read again (the creator publishes
   * anew, under a new video id, with a new upload), and uploads are the largest files we keep.
   */
  async function removeFailedVideo(videoId: string, sourceUri: string): Promise<void> {
    await removeOutputs(videoId);
    // Only the video's own upload: an acceptance recorded before PublishVideo's source was
    // checked may name another video's, which is not this failure's to delete.
    if (sourceUri === uriOfKey(videoKeys.source(videoId))) await videoStore.remove(sourceUri);
  }

  /**
   * Every file a deleted video had or may yet be given: its upload, MP4, poster, candidates,
   * uploaded posters (re-encoded and as uploaded). Idempotent: run on each VideoDeleted
   * delivery, and by a transcode or poster upload that finds its video deleted after it wrote.
   */
  async function removeDeletedVideo(videoId: string): Promise<void> {
    await removeOutputs(videoId);
    await videoStore.remove(uriOfKey(videoKeys.source(videoId)));
    await videoStore.removeAll(videoKeys.posterFolder(videoId));
    await videoStore.removeAll(videoKeys.posterUploadFolder(videoId));
  }

  return {
    removeOutputs,
    removeFailedVideo,
    removeDeletedVideo,

    /** What a settled video should no longer have: a failed one's files, a deleted one's all; nothing otherwise. */
    async tidy(state: Video, videoId: string, sourceUri: string): Promise<void> {
      if (state.status === 'failed') await removeFailedVideo(videoId, sourceUri);
      if (state.status === 'deleted') await removeDeletedVideo(videoId);
    },

    /**
     * Writes `outcome` unless the video has one already: at most one per video, ever. When it
     * is not written, `found` is the video as read (a deleted one's files are then the
     * caller's to remove: they may have been written after the deletion's clean-up).
     */
    async write(stream: string, outcome: Message): Promise<{ written: true } | { written: false; found: Video }> {
      for (let attempt = 1; ; attempt += 1) {
        const { state, version } = await messageStore.project(stream, videoProjection);
        if (isSettled(state)) return { written: false, found: state };
        try {
          await messageStore.write(stream, outcome, version);
          return { written: true };
        } catch (error) {
          if (!(error instanceof VersionConflictError) || attempt >= OUTCOME_WRITE_ATTEMPTS) throw error;
        }
      }
    },
  };
}

export type Outcomes = ReturnType<typeof createOutcomes>;
