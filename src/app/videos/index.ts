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
import { sendStoredFile } from './send-stored-file.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** The contract's own check, so the routes and the commands agree on what a video id is. */
const videoIdSchema = videoPublishingCommandSchemas.UnpublishVideo.shape.videoId;
const NOT_HERE = 'There is no published video here. It may have been taken down, or the link is mistyped.';
// 410 Gone: the address was right, and the video will not come back.
const VIDEO_NOT_FOUND = { title: 'Video not found' };
const TAKEN_DOWN = 'This video was taken down by the site’s moderators and can no longer be watched. Browse the other videos from the home page.';

interface VideosAppDeps {
  readonly db: Knex;
  readonly videoStore: VideoStore;
}

/** Where a video is watched, and its files: for published videos only; a taken-down one is a 410, anything else a 404. */
export function createVideosApp({ db, videoStore }: VideosAppDeps) {
  const queries = createVideoQueries(db);

  async function publishedVideo(req: Request): Promise<WatchableVideo> {
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    if (!videoId.success) throw new NotFoundError(NOT_HERE, VIDEO_NOT_FOUND);
    const id = videoId.data.toLowerCase();
    const video = await queries.published(id);
    if (video) return video;
    throw (await queries.takenDown(id)) ? new HttpError(410, TAKEN_DOWN, { title: 'Video taken down' }) : new NotFoundError(NOT_HERE, VIDEO_NOT_FOUND);
  }

  const router = Router();
  router.get('/:videoId', async (req, res) => {
    const video = await publishedVideo(req);
    // The viewing form (and the script that posts it when playback starts) needs a token.
    issueCsrfToken(req, res);
    const base = `/videos/${video.videoId}`;
    res.render('watch', {
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
        posterUrl: `${base}/poster.jpg`,
        viewsUrl: `${base}/views`,
        // Its creator can go straight to where it is named and described.
        editUrl: req.context.userId !== null && req.context.userId === video.ownerId ? `/creators-portal/videos/${video.videoId}` : undefined,
      },
    });
  });

  router.get('/:videoId/video.mp4', async (req, res) => {
    const video = await publishedVideo(req);
    await sendStoredFile(req, res, videoStore, video.transcodedUri, 'video/mp4');
  });

  router.get('/:videoId/poster.jpg', async (req, res) => {
    const video = await publishedVideo(req);
    await sendStoredFile(req, res, videoStore, video.posterUri, 'image/jpeg');
  });

  // Where the watch page's script lands after counting a viewing: the count, cheaply.
  router.get('/:videoId/views', async (req, res) => {
    const video = await publishedVideo(req);
    res.set('Cache-Control', 'no-store').json({ views: video.views });
  });

  return { router, viewsDir: VIEWS_DIR };
}
