import { posterUploadIdOf, videoKeys, type VideoStore } from '../../../video-store/index.ts';
import { REJECTION_REASONS } from '../../../contracts/video-publishing.ts';
import type { TranscodeLimits } from '../media/limits.ts';
import { preparePoster } from '../prepare-poster.ts';
import type { MediaTools } from '../prepare-video.ts';
import type { Video } from '../video.ts';
import type { Outcomes } from './outcomes.ts';
import { convertedProblem } from './rules.ts';

export interface PosterUploadDeps {
  readonly videoStore: VideoStore;
  readonly tools: MediaTools;
  readonly limits: TranscodeLimits;
  readonly outcomes: Outcomes;
}

/**
 * UploadVideoPoster's work, done in the command handler: one picture decodes and re-encodes in
 * well under a second (0.6 s for 12 megapixels), so a rename queued behind it waits that long at
 * most, and the creator sees the new poster as soon as the command is answered. A subscriber of
 * its own would spare the other commands that wait, for a third position stream and queue to
 * run; worth it only if pictures were slow, and they are bounded here (5 MB, 50 megapixels,
 * 15 s). No stop signal: a stop waits for the picture in hand, as for any command.
 */
export function createPosterUpload({ videoStore, tools, limits, outcomes }: PosterUploadDeps) {
  const signal = new AbortController().signal;
  return {
    /** The poster's URI, re-encoded under a key derived from the upload (a second try writes the same file), or why not. */
    async decide(video: Video, userId: string, videoId: string, imageUri: string) {
      const denied = convertedProblem(video, userId);
      if (denied) return { ok: false, reason: denied } as const;
      const uploadId = posterUploadIdOf(videoId, imageUri);
      if (!uploadId) return { ok: false, reason: REJECTION_REASONS.posterOtherUpload } as const;
      const poster = await preparePoster({
        videoStore,
        tools,
        limits,
        signal,
        imageUri,
        posterKey: videoKeys.uploadedPoster(videoId, uploadId),
      });
      return poster.ok ? poster : ({ ok: false, reason: REJECTION_REASONS.unreadableImage } as const);
    },

    /**
     * Once answered, either way: the upload as sent is never served, so it goes (only this
     * video's own, and not on a stranger's word: it may be its owner's next poster). A video
     * deleted meanwhile loses what this wrote after its clean-up.
     */
    async tidy(video: Video, userId: string, videoId: string, imageUri: string): Promise<void> {
      if (video.status === 'deleted') await outcomes.removeDeletedVideo(videoId);
      const strangers = video.status !== 'unknown' && video.ownerId !== userId;
      if (!strangers && posterUploadIdOf(videoId, imageUri)) await videoStore.remove(imageUri);
    },
  };
}
