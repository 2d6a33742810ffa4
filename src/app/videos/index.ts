import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import { videoPublishingCommandSchemas } from '../../contracts/video-publishing.ts';
import type { VideoStore } from '../../video-store/index.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { HttpError, NotFoundError } from '../../web/errors.ts';
import { durationLabel, UNTITLED, viewsLabel } from './format.ts';
import { createVideoQueries, type WatchableVideo } from './queries.ts';
import { storedFileSender, type AccelRedirect } from './send-stored-file.ts';
import { mayWatch, type RolesOf } from './who-may-watch.ts';
import { posterPath } from '../../web/poster-path.ts';
import { upNext } from './up-next.ts';
import type { CardVideo } from './card-video.ts';
import { keyedCachedRead } from '../../web/cached-read.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** The contract's own check, so the routes and the commands agree on what a video id is. */
const videoIdSchema = videoPublishingCommandSchemas.UnpublishVideo.shape.videoId;
/** How many videos' up next lists are kept at most (each about 8 cards). */
const UP_NEXT_CACHED_VIDEOS = 1_000;
const NOT_HERE = 'There is no published video here. It may have been taken down, or the link is mistyped.';
// 410 Gone: the address was right, and the video will not come back.
const VIDEO_NOT_FOUND = { title: 'Video not found' };
const TAKEN_DOWN =
  'This video was taken down by the site’s moderators and can no longer be watched. Browse the other videos from the home page.';
const DELETED =
  'This video was deleted, and its files with it: it cannot be watched any more. If someone sent you this link, ask them whether it is somewhere else.';
const VIDEO_DELETED = { title: 'Video deleted', next: { href: '/', label: 'Browse all videos' } };
/** What the creator (or an admin) is told about a video others cannot find. */
const VISIBILITY_NOTES = {
  draft: 'This video is a draft: only you can watch it here. Make it public or unlisted from your videos to share it.',
  unlisted: 'This video is unlisted: anyone with its link can watch it, and it is in no list on this site.',
  public: undefined,
} as const;

interface VideosAppDeps {
  readonly db: Knex;
  readonly videoStore: VideoStore;
  /** The credentials projection's roles: admins may watch drafts too. */
  readonly rolesOf: RolesOf;
  /**
   * How long a video's up next list may be reused (the page cache's bound, PAGE_CACHE_MS): a burst
   * of viewers of one video costs one read of it, not one a viewer.
   */
  readonly cacheMs: number;
  /** VIDEO_DELIVERY=x-accel-redirect: the proxy in front sends the files once allowed; undefined, the app streams them. */
  readonly accelRedirect?: AccelRedirect | undefined;
  /** Where a logged-in viewer stopped in the video, when it is worth resuming (src/app/playback). */
  readonly resumeAt?: (
    userId: string,
    videoId: string,
  ) => Promise<{ readonly label: string; readonly seconds: number } | undefined>;
}

/**
 * Where a video is watched, and its files: public and unlisted videos for anyone with the link, a
 * draft for its creator and admins (404 for anyone else, as if it were not there); a taken-down
 * one is a 410, a deleted one a 404 that says so, anything else a 404.
 */
export function createVideosApp({ db, videoStore, rolesOf, cacheMs, accelRedirect, resumeAt }: VideosAppDeps) {
  const queries = createVideoQueries(db);
  const sendStoredFile = storedFileSender(videoStore, accelRedirect);
  // Up next depends on the video alone, never on who watches.
  const upNextLists = keyedCachedRead<CardVideo[]>(cacheMs, UP_NEXT_CACHED_VIDEOS);

  async function watchableVideo(req: Request): Promise<WatchableVideo> {
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    if (!videoId.success) throw new NotFoundError(NOT_HERE, VIDEO_NOT_FOUND);
    const video = await queries.video(videoId.data.toLowerCase());
    // A draft taken down or deleted is told of only to those who could watch it: to anyone else it was never here.
    if (!video || !(await mayWatch(req, video, rolesOf))) throw new NotFoundError(NOT_HERE, VIDEO_NOT_FOUND);
    if (!('gone' in video)) return video;
    if (video.gone === 'takenDown') throw new HttpError(410, TAKEN_DOWN, { title: 'Video taken down' });
    throw new NotFoundError(DELETED, VIDEO_DELETED);
  }

  const router = Router();
  router.get('/:videoId', async (req, res) => {
    const video = await watchableVideo(req);
    const own = req.context.userId !== null && req.context.userId === video.ownerId;
    const { userId } = req.context;
    // A draft is its creator's to watch, not to keep a place in (the playback route refuses it too).
    const remembers = userId !== null && resumeAt !== undefined && video.visibility !== 'draft';
    // Side by side: neither read waits for the other.
    const [nextVideos, resume] = await Promise.all([
      upNextLists.get(video.videoId, () => upNext(db, video)),
      remembers ? resumeAt(userId, video.videoId) : undefined,
    ]);
    // The viewing form (and the script that posts it when playback starts) needs a token.
    issueCsrfToken(req, res);
    const base = `/videos/${video.videoId}`;
    res.render('watch', {
      // The player reports where a logged-in viewer is (public/js/playback.js), and offers to resume.
      playback: remembers ? { reportUrl: `/playback/${video.videoId}`, resume } : undefined,
      title: video.name ?? UNTITLED,
      video: {
        videoId: video.videoId,
        name: video.name ?? UNTITLED,
        description: video.description,
        creator: video.creator,
        creatorHandle: video.creatorHandle,
        views: video.views,
        viewsLabel: viewsLabel(video.views),
        duration: durationLabel(video.durationSeconds),
        width: video.width,
        height: video.height,
        videoUrl: `${base}/video.mp4`,
        posterUrl: posterPath(base, video.posterUri),
        viewsUrl: `${base}/views`,
        // Its creator can go straight to where it is named and described.
        editUrl: own ? `/creators-portal/videos/${video.videoId}` : undefined,
        // Only a draft's creator or an admin sees a draft, so its note is for them; an unlisted one's only for its creator.
        visibilityNote: video.visibility === 'draft' || own ? VISIBILITY_NOTES[video.visibility] : undefined,
        // Search engines are kept off what is not public: an unlisted link shared somewhere public stays unlisted.
        noindex: video.visibility !== 'public',
        // Only its creator and admins see a draft: the viewing counter (record-viewings) refuses it.
        countsViewings: video.visibility !== 'draft',
      },
      // Public videos only, whatever this one's visibility (templates/up-next.pug).
      upNext: nextVideos.map((next) => ({
        href: `/videos/${next.videoId}`,
        name: next.name ?? UNTITLED,
        creator: next.creator,
        creatorHandle: next.creatorHandle,
        duration: next.durationSeconds === null ? undefined : durationLabel(next.durationSeconds),
        posterUrl: posterPath(`/videos/${next.videoId}`, next.posterUri ?? ''),
      })),
    });
  });

  router.get('/:videoId/video.mp4', async (req, res) => {
    const video = await watchableVideo(req);
    await sendStoredFile(req, res, video.transcodedUri, 'video/mp4');
  });

  router.get('/:videoId/poster.jpg', async (req, res) => {
    const video = await watchableVideo(req);
    await sendStoredFile(req, res, video.posterUri, 'image/jpeg');
  });

  // Where the watch page's script lands after counting a viewing: the count, cheaply.
  router.get('/:videoId/views', async (req, res) => {
    const video = await watchableVideo(req);
    res.set('Cache-Control', 'no-store').json({ views: video.views });
  });

  return { router, viewsDir: VIEWS_DIR };
}
