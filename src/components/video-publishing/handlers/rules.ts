import { REJECTION_REASONS, type Visibility } from '../../../contracts/video-publishing.ts';
import type { Video } from '../video.ts';

// Each returns why a command is refused, or undefined: the ownership checks come first, so a
// stranger learns nothing more about someone else's video than that it is not theirs.

/** Who may change a video: it must exist, and the sender must own it. */
export function accessProblem(video: Video, userId: string): string | undefined {
  if (video.status === 'unknown') return REJECTION_REASONS.unknownVideo;
  if (video.ownerId !== userId) return REJECTION_REASONS.notOwner;
  return undefined;
}

/** Names and descriptions: the owner's, whatever the state, until the video is deleted. */
export function textProblem(video: Video, userId: string): string | undefined {
  return accessProblem(video, userId) ?? (video.status === 'deleted' ? REJECTION_REASONS.deleted : undefined);
}

/** The owner's, on a video that is neither deleted, taken down nor failed. */
function liveProblem(video: Video, userId: string): string | undefined {
  const denied = textProblem(video, userId);
  if (denied) return denied;
  if (video.status === 'takenDown') return REJECTION_REASONS.takenDown;
  if (video.status === 'failed') return REJECTION_REASONS.failedVideo;
  return undefined;
}

/** Visibility can change from acceptance on, while it transcodes too: a draft upload can be made public before it is ready. */
export function visibilityProblem(video: Video, userId: string, visibility: Visibility): string | undefined {
  return liveProblem(video, userId) ?? (video.visibility === visibility ? REJECTION_REASONS.sameVisibility : undefined);
}

/** "Unpublish" is "make it a draft", of a converted video (as it always needed one). */
export function unpublishProblem(video: Video, userId: string): string | undefined {
  return (
    convertedProblem(video, userId) ?? (video.visibility === 'draft' ? REJECTION_REASONS.sameVisibility : undefined)
  );
}

/** Posters: the owner's, of a converted video. */
export function convertedProblem(video: Video, userId: string): string | undefined {
  return liveProblem(video, userId) ?? (video.status === 'published' ? undefined : REJECTION_REASONS.notConverted);
}

/**
 * Deletion: the owner's or an admin's (`isAdmin`, asked only of a sender who is not the owner),
 * in any state but deleted. An admin may delete a video that does not exist no more than anyone.
 */
export async function deleteProblem(
  video: Video,
  userId: string,
  isAdmin: () => Promise<boolean>,
): Promise<string | undefined> {
  if (video.status === 'unknown') return REJECTION_REASONS.unknownVideo;
  if (video.ownerId !== userId && !(await isAdmin())) return REJECTION_REASONS.notOwner;
  return video.status === 'deleted' ? REJECTION_REASONS.deleted : undefined;
}
