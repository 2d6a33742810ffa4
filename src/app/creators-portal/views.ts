import type { Visibility } from '../../contracts/video-publishing.ts';
import { uriOfKey, videoKeys } from '../../video-store/index.ts';
import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import type { CreatorVideo, Operation } from './queries.ts';
import { posterPath } from '../../web/poster-path.ts';

export const PORTAL_PATH = '/creators-portal';

/** Who can watch a video of each visibility, in the words the forms and lists use. */
export const VISIBILITY_WORDS: Readonly<Record<Visibility, { readonly label: string; readonly explained: string }>> = {
  draft: { label: 'Draft', explained: 'Only you can watch it, here in your videos.' },
  unlisted: {
    label: 'Unlisted',
    explained: 'Anyone with its link can watch it. It is never listed in the catalog or on your channel.',
  },
  public: { label: 'Public', explained: 'Anyone can find it: in the catalog and on your channel.' },
};

const STATUS_LABELS: Readonly<Record<string, string>> = {
  uploaded: 'Waiting its turn to be converted',
  transcoding: 'Converting for the web',
  failed: 'Could not be converted',
  takenDown: 'Taken down by the site’s moderators',
};

function statusLabel(video: CreatorVideo): string {
  if (video.status === 'published') return `Ready · ${VISIBILITY_WORDS[video.visibility].label}`;
  return STATUS_LABELS[video.status] ?? 'Being worked on';
}

const uploadedAt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export const manageHref = (videoId: string): string => `${PORTAL_PATH}/videos/${videoId}`;
export const operationHref = (traceId: string): string => `${PORTAL_PATH}/operations/${traceId}`;
export const operationStatusHref = (traceId: string, kind: string): string =>
  `${operationHref(traceId)}/status?kind=${encodeURIComponent(kind)}`;
export const watchHref = (videoId: string): string => `/videos/${videoId}`;

/**
 * Whether the poster is still the one the transcode made: the frame a tenth of the way in, which
 * is also the strip's first frame (a file of its own), so the strip shows it as the one in use.
 */
const isFirstPoster = (video: CreatorVideo): boolean => video.posterUri === uriOfKey(videoKeys.poster(video.videoId));

/** A video as the portal's pages show it. */
export function creatorVideoView(video: CreatorVideo) {
  const converted = video.status === 'published';
  return {
    videoId: video.videoId,
    name: video.name ?? UNTITLED,
    named: video.name !== null,
    description: video.description,
    status: video.status,
    statusLabel: statusLabel(video),
    visibility: video.visibility,
    visibilityLabel: VISIBILITY_WORDS[video.visibility].label,
    visibilityExplained: VISIBILITY_WORDS[video.visibility].explained,
    progress: Math.max(0, Math.min(100, video.progress)),
    failureReason: video.failureReason,
    takeDownReason: video.takeDownReason,
    posterUrl: video.posterUri ? posterPath(manageHref(video.videoId), video.posterUri) : undefined,
    videoUrl: converted && video.transcodedUri ? `${manageHref(video.videoId)}/video.mp4` : undefined,
    posterCandidates: converted
      ? video.posterCandidateUris.map((uri, index) => ({
          index,
          url: `${manageHref(video.videoId)}/frames/${index}.jpg`,
          current: uri === video.posterUri || (index === 0 && isFirstPoster(video)),
        }))
      : [],
    duration: durationLabel(video.durationSeconds),
    views: viewsLabel(video.views),
    uploadedAt: `${uploadedAt.format(video.uploadedAt)} UTC`,
    uploadedAtIso: video.uploadedAt.toISOString(),
    manageHref: manageHref(video.videoId),
    deleteHref: `${manageHref(video.videoId)}/delete`,
    // Only where a viewer could open it: a draft's watch page is its creator's alone.
    watchHref: converted && video.visibility !== 'draft' ? watchHref(video.videoId) : undefined,
    converted,
    // A converted video can be shown to others; a taken-down one never again.
    changeable: converted,
    failed: video.status === 'failed',
    // A duration and views mean something once it was converted, not for an upload that failed.
    watchable: converted,
  };
}

const PENDING_TITLES: Readonly<Record<string, string>> = {
  publish: 'Uploading your video',
  name: 'Saving the title',
  describe: 'Saving the description',
  unpublish: 'Making it a draft',
  visibility: 'Changing who can watch it',
  delete: 'Deleting your video',
  poster: 'Changing the poster',
};

const FAILED_TITLES: Readonly<Record<string, string>> = {
  publish: 'The video could not be converted',
  name: 'The new title was not saved',
  describe: 'The description was not saved',
  unpublish: 'The video was not made a draft',
  visibility: 'Who can watch it did not change',
  delete: 'The video was not deleted',
  poster: 'The poster did not change',
};

/** What the creator is told once an action is done, on the next page or in place. */
export const DONE_NOTICES: Readonly<Record<string, string>> = {
  publish: 'Your video is converted. Watch it here, then choose who can see it.',
  name: 'Title saved.',
  describe: 'Description saved.',
  unpublish: 'It is a draft now: only you can watch it.',
  visibility: 'Saved: who can watch it has changed.',
  delete: 'Deleted. Its files are gone; its views still count in the site’s totals.',
  poster: 'Poster changed.',
};

/** Which of an action's operations its pages follow, when one action sent several commands (an upload with a title). */
const FOLLOWED_FIRST = ['publish', 'delete', 'visibility', 'poster', 'unpublish', 'name', 'describe'];

export function followedOperation(operations: readonly Operation[], kind: string | undefined): Operation | undefined {
  const byKind = operations.find((operation) => operation.kind === kind);
  if (byKind) return byKind;
  return [...operations].sort((a, b) => FOLLOWED_FIRST.indexOf(a.kind) - FOLLOWED_FIRST.indexOf(b.kind))[0];
}

/** A refusal's reason as a sentence: the component's reasons for a failed conversion already are; its rejections are phrases. */
export function reasonSentence(operation: Operation | undefined): string {
  const reason = operation?.reason ?? 'no reason was given';
  return /[.!?]$/.test(reason) ? reason : `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;
}

/** The operation page: what was asked, how far it got, and where to go from here. */
export function operationView(
  kind: string | undefined,
  operation: Operation | undefined,
  video: CreatorVideo | undefined,
) {
  const failed = operation?.status === 'failed';
  const backToVideo = operation && kind !== 'publish' && kind !== 'delete';
  return {
    failed,
    title: failed
      ? (FAILED_TITLES[kind ?? ''] ?? 'That did not work')
      : (PENDING_TITLES[kind ?? ''] ?? 'Working on it'),
    reason: reasonSentence(operation),
    publishing: kind === 'publish',
    video: video && creatorVideoView(video),
    backHref: backToVideo ? manageHref(operation.videoId) : PORTAL_PATH,
    backLabel: backToVideo ? 'Back to the video' : 'Back to your videos',
    // A failed conversion: another file may do.
    tryAgainHref: failed && kind === 'publish' ? `${PORTAL_PATH}#upload` : undefined,
  };
}
