import { durationLabel, UNTITLED, viewsLabel } from '../videos/format.ts';
import type { CreatorVideo, Operation } from './queries.ts';

export const PORTAL_PATH = '/creators-portal';

const STATUS_LABELS: Readonly<Record<string, string>> = {
  uploaded: 'Uploaded, waiting its turn to be converted',
  transcoding: 'Converting for the web',
  published: 'Published',
  failed: 'Failed',
  unpublished: 'Unpublished',
  takenDown: 'Taken down by the site’s moderators',
};

const uploadedAt = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export const manageHref = (videoId: string): string => `${PORTAL_PATH}/videos/${videoId}`;
export const operationHref = (traceId: string): string => `${PORTAL_PATH}/operations/${traceId}`;
export const watchHref = (videoId: string): string => `/videos/${videoId}`;

/** A video as the portal's pages show it. */
export function creatorVideoView(video: CreatorVideo) {
  return {
    videoId: video.videoId,
    name: video.name ?? UNTITLED,
    named: video.name !== null,
    description: video.description,
    status: video.status,
    statusLabel: STATUS_LABELS[video.status] ?? video.status,
    progress: Math.max(0, Math.min(100, video.progress)),
    failureReason: video.failureReason,
    takeDownReason: video.takeDownReason,
    posterUrl: video.posterUri ? `${manageHref(video.videoId)}/poster.jpg` : undefined,
    duration: durationLabel(video.durationSeconds),
    views: viewsLabel(video.views),
    uploadedAt: `${uploadedAt.format(video.uploadedAt)} UTC`,
    uploadedAtIso: video.uploadedAt.toISOString(),
    manageHref: manageHref(video.videoId),
    watchHref: video.status === 'published' ? watchHref(video.videoId) : undefined,
    // A duration and views mean something once it was published, not for an upload that failed.
    watchable: video.status === 'published' || video.status === 'unpublished',
  };
}

const PENDING_TITLES: Readonly<Record<string, string>> = {
  publish: 'Publishing your video',
  name: 'Renaming your video',
  describe: 'Updating the description',
  unpublish: 'Unpublishing your video',
};

const FAILED_TITLES: Readonly<Record<string, string>> = {
  publish: 'The video could not be published',
  name: 'The new name was not saved',
  describe: 'The description was not saved',
  unpublish: 'The video was not unpublished',
};

/** The operation page: what was asked, how far it got, and where to go from here. */
export function operationView(kind: string | undefined, operation: Operation | undefined, video: CreatorVideo | undefined) {
  const failed = operation?.status === 'failed';
  const reason = operation?.reason ?? 'no reason was given';
  return {
    failed,
    title: failed ? (FAILED_TITLES[kind ?? ''] ?? 'That did not work') : (PENDING_TITLES[kind ?? ''] ?? 'Working on it'),
    // The component's reasons for a publish are sentences; its rejections are phrases that follow a colon.
    reason: kind === 'publish' ? reason : `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`,
    publishing: kind === 'publish',
    video: video && creatorVideoView(video),
    backHref: operation && kind !== 'publish' ? manageHref(operation.videoId) : PORTAL_PATH,
    backLabel: operation && kind !== 'publish' ? 'Back to the video' : 'Back to your videos',
  };
}
