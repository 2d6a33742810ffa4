import { VersionConflictError, type Message, type MessageStore } from '../../../message-store/index.ts';
import { uriOfKey, videoKeys, type VideoStore } from '../../../video-store/index.ts';
import { isSettled, videoProjection } from '../video.ts';

// Renames and progress reports land in the stream during a transcode; the outcome is written
// at the version just read, and read again on a conflict rather than transcode again.
const OUTCOME_WRITE_ATTEMPTS = 5;

/** Writing a video's one outcome, and tidying its files after: for the transcoders and the queue that refuses. */
export function createOutcomes({ messageStore, videoStore }: { readonly messageStore: MessageStore; readonly videoStore: VideoStore }) {
  /** The files a failed attempt may have stored; absent ones are fine. */
  async function removeOutputs(videoId: string): Promise<void> {
    for (const key of [videoKeys.transcoded(videoId), videoKeys.poster(videoId)]) await videoStore.remove(uriOfKey(key));
  }

  return {
    removeOutputs,

    /**
     * A failed video's files, the upload too: it is never read again (the creator publishes
     * anew, under a new video id, with a new upload), and uploads are the largest files we keep.
     */
    async removeFailedVideo(videoId: string, sourceUri: string): Promise<void> {
      await removeOutputs(videoId);
      // Only the video's own upload: an acceptance recorded before PublishVideo's source was
      // checked may name another video's, which is not this failure's to delete.
      if (sourceUri === uriOfKey(videoKeys.source(videoId))) await videoStore.remove(sourceUri);
    },

    /** Writes `outcome` unless the video has one already (false then): at most one per video, ever. */
    async write(stream: string, outcome: Message): Promise<boolean> {
      for (let attempt = 1; ; attempt += 1) {
        const { state, version } = await messageStore.project(stream, videoProjection);
        if (isSettled(state)) return false;
        try {
          await messageStore.write(stream, outcome, version);
          return true;
        } catch (error) {
          if (!(error instanceof VersionConflictError) || attempt >= OUTCOME_WRITE_ATTEMPTS) throw error;
        }
      }
    },
  };
}

export type Outcomes = ReturnType<typeof createOutcomes>;
