import { Router, type Request } from 'express';
import { MAX_POSTER_IMAGE_BYTES, POSTER_CANDIDATES } from '../../contracts/video-publishing.ts';
import { formField } from '../../web/form-field.ts';
import { isResourceExhausted } from '../../subscription/retry.ts';
import { videoKeys, type VideoStore } from '../../video-store/index.ts';
import { allowSlowBody } from '../../web/body-deadline.ts';
import { HttpError, NotFoundError, ServiceUnavailableError, TooManyRequestsError } from '../../web/errors.ts';
import type { StoredFileSender } from '../videos/send-stored-file.ts';
import { followOperation, ownedVideo, senderOf, YOUR_VIDEOS, type PortalKit } from './kit.ts';
import { refuse, takeFromAllowance } from './manage-page.ts';
import type { MinimumRate } from './transfer-rate.ts';
import { receiveUpload } from './upload.ts';
import type { UploadSlots } from './upload-slots.ts';

/** The poster image form's file input. */
const POSTER_FIELD = 'image';
const STORE_RETRY_SECONDS = 300;
const SLOT_RETRY_SECONDS = 30;

const notAnImage = () =>
  new HttpError(415, 'That file is not a JPEG, PNG or WebP picture. Nothing was kept; choose one of those.');
const posterTooLarge = () =>
  new HttpError(413, 'That picture is larger than 5 MB. Nothing was kept; choose a smaller one.');

/** JPEG, PNG or WebP by their first bytes; the component decodes the whole image before it is used. */
function imageProblem(head: Buffer): HttpError | undefined {
  const jpeg = head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]));
  const png = head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const webp = head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
  return jpeg || png || webp ? undefined : notAnImage();
}

interface PosterDeps extends PortalKit {
  readonly videoStore: VideoStore;
  /** Sends a file once the route has checked the video is the creator's. */
  readonly sendStoredFile: StoredFileSender;
  readonly minimumUploadRate: MinimumRate;
  readonly uploadSlots: UploadSlots;
}

/** The creator's own files (whatever the video's visibility) and the poster's two ways to change. */
export function posterRoutes(deps: PosterDeps): Router {
  const { queries, send, videoStore, sendStoredFile, editWait, newId } = deps;
  const router = Router();

  const noFile = (what: string) =>
    new NotFoundError(`This video has no ${what} yet: it gets one when it is converted.`, {
      title: 'Not converted yet',
      next: YOUR_VIDEOS,
    });

  router.get('/videos/:videoId/poster.jpg', async (req, res) => {
    const video = await ownedVideo(queries, req);
    if (!video.posterUri) throw noFile('poster');
    await sendStoredFile(req, res, video.posterUri, 'image/jpeg');
  });

  router.get('/videos/:videoId/video.mp4', async (req, res) => {
    const video = await ownedVideo(queries, req);
    if (video.status !== 'published' || !video.transcodedUri) throw noFile('converted file');
    await sendStoredFile(req, res, video.transcodedUri, 'video/mp4');
  });

  router.get('/videos/:videoId/frames/:index.jpg', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const uri = /^\d$/.test(req.params.index ?? '') ? video.posterCandidateUris[Number(req.params.index)] : undefined;
    if (!uri)
      throw new NotFoundError('There is no such frame of this video.', { title: 'Frame not found', next: YOUR_VIDEOS });
    await sendStoredFile(req, res, uri, 'image/jpeg');
  });

  router.post('/videos/:videoId/poster', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const value = formField(req.body, 'candidate');
    const candidate = Number(value);
    if (!/^\d$/.test(value) || candidate >= Math.min(POSTER_CANDIDATES, video.posterCandidateUris.length))
      return refuse(req, res, video, 400, { field: 'poster', value, error: 'Choose one of the frames shown.' });
    if (!(await takeFromAllowance(editWait, req, res, video, { field: 'poster', value }))) return;
    await send(senderOf(req), 'ChooseVideoPoster', { videoId: video.videoId, candidate });
    followOperation(req, res, 'poster');
  });

  router.post('/videos/:videoId/poster-image', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const refuseUnread = (error: HttpError) => {
      // Refused before the body is read: say so and close, rather than drain a file we will not keep.
      res.set('Connection', 'close');
      throw error;
    };
    const wait = await editWait(req.context.userId!);
    if (wait > 0)
      refuseUnread(
        new TooManyRequestsError('You have made many changes in a short while. Try again in a few minutes.', wait),
      );
    const release = deps.uploadSlots.take(req.context.userId!);
    if (!release)
      refuseUnread(
        new TooManyRequestsError(
          'You already have uploads on their way. Wait until they finish, then send this one.',
          SLOT_RETRY_SECONDS,
        ),
      );
    allowSlowBody(req);
    try {
      await receivePoster(req, video.videoId);
    } finally {
      release!();
    }
    followOperation(req, res, 'poster');
  });

  async function receivePoster(req: Request, videoId: string): Promise<void> {
    const stored = await receiveUpload(req, {
      videoStore,
      key: videoKeys.posterUpload(videoId, newId()),
      maxBytes: MAX_POSTER_IMAGE_BYTES,
      minimumRate: deps.minimumUploadRate,
      field: POSTER_FIELD,
      tooLarge: posterTooLarge,
      inspectHead: { bytes: 12, check: imageProblem },
      missingFile: 'Choose a picture to upload.',
    }).catch((error: unknown) => {
      throw isResourceExhausted(error)
        ? new ServiceUnavailableError(
            'We can’t take pictures right now. Please try again in a few minutes.',
            STORE_RETRY_SECONDS,
          )
        : error;
    });
    try {
      await send(senderOf(req), 'UploadVideoPoster', { videoId, imageUri: stored.uri });
    } catch (error) {
      await videoStore.remove(stored.uri);
      throw error;
    }
  }

  return router;
}
