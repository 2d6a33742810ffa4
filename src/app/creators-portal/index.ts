import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, VISIBILITIES } from '../../contracts/video-publishing.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { isResourceExhausted } from '../../subscription/retry.ts';
import { videoKeys, type VideoStore } from '../../video-store/index.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, NotFoundError, ServiceUnavailableError, TooManyRequestsError } from '../../web/errors.ts';
import { counted } from '../../plural.ts';
import { allowSlowBody } from '../../web/body-deadline.ts';
import { createCommandSender } from './commands.ts';
import { followOperation, senderOf, type PortalKit } from './kit.ts';
import { createOperationPage, createOperationStatus } from './operation-page.ts';
import { posterRoutes } from './poster-routes.ts';
import { storedFileSender, type AccelRedirect } from '../videos/send-stored-file.ts';
import { createCreatorsPortalQueries } from './queries.ts';
import type { MinimumRate } from './transfer-rate.ts';
import { FILE_FIELD, receiveUpload } from './upload.ts';
import {
  readUploadIntent,
  UPLOAD_FIELDS,
  UploadFormError,
  type UploadErrors,
  type UploadTyped,
} from './upload-form.ts';
import { creatorVideoView, PORTAL_PATH, VISIBILITY_WORDS } from './views.ts';
import { createUploadSlots, type UploadSlots } from './upload-slots.ts';
import { verificationGate } from './verification-gate.ts';
import { videoRoutes } from './video-routes.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
// A creator's list is one page; far more videos than anyone uploads by hand.
const LISTED = 200;

interface CreatorsPortalDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly videoStore: VideoStore;
  /** VIDEO_DELIVERY=x-accel-redirect: the proxy in front sends the creator's files once allowed; undefined, the app streams them. */
  readonly accelRedirect?: AccelRedirect | undefined;
  /** MAX_UPLOAD_BYTES: a bigger file is refused with 413 and nothing is kept. */
  readonly maxUploadBytes: number;
  /** An upload slower than this over its window is cut off (UPLOAD_MIN_BYTES_PER_SECOND). */
  readonly minimumUploadRate: MinimumRate;
  /** Takes one change (title, description, visibility, poster) from the creator's allowance: 0, or the seconds until the next. */
  readonly editWait: (userId: string) => Promise<number>;
  /** How many videos a creator may have waiting and transcoding (the component's quota): one more upload is refused (429), nothing kept. */
  readonly maxVideosInHand: number;
  readonly newId?: () => string;
  readonly uploadSlots?: UploadSlots;
  /** Whether the user's address is confirmed; the credentials projection's answer unless given. */
  readonly emailVerified?: (userId: string) => Promise<boolean>;
  readonly clock?: () => Date;
}

const UPLOAD_SLOTS = { perUser: 2, total: 8 };
const UPLOAD_RETRY_SECONDS = 30;
// A transcode takes a minute or more: no sooner than that is another one free.
const QUOTA_RETRY_SECONDS = 60;
// A full or read-only video folder waits for an operator.
const STORE_RETRY_SECONDS = 300;

const EMPTY_FORM: UploadTyped = { title: '', description: '', visibility: 'draft' };

/** The creators portal: a creator's own videos, the upload, and the commands that change a video. */
export function createCreatorsPortalApp({
  db,
  messageStore,
  videoStore,
  accelRedirect,
  maxUploadBytes,
  minimumUploadRate,
  maxVideosInHand,
  editWait,
  newId = randomUUID,
  uploadSlots = createUploadSlots(UPLOAD_SLOTS),
  emailVerified,
  clock = () => new Date(),
}: CreatorsPortalDeps) {
  const queries = createCreatorsPortalQueries(db);
  const verified = emailVerified ?? queries.emailVerified;
  const send = createCommandSender(messageStore, newId);
  const kit: PortalKit = { queries, send, editWait, newId };

  const router = Router();
  // An action posted by someone not logged in gets the same 404 as another creator's would (the
  // issue's rule: nothing about a video is confirmed to strangers); pages send them to log in.
  // A video's pages and files are 404 to them too (whether a video exists is not told to
  // strangers), with a way to log in for its owner.
  router.use((req, _res, next) => {
    if (req.context.userId) return next();
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && !req.path.startsWith('/videos/');
    const logIn = {
      href: `/auth/log-in?returnTo=${encodeURIComponent(req.method === 'GET' ? req.originalUrl : PORTAL_PATH)}`,
      label: 'Log in',
    };
    next(
      isPage
        ? undefined
        : new NotFoundError('There is no such page, or you need to log in to see it.', { next: logIn }),
    );
  });
  router.use(requireUser());

  /**
   * Uploading publishes under the user's name: only with a confirmed address. The gate shows why,
   * and offers the link again. Undefined once confirmed.
   */
  async function gateOf(req: Request) {
    const userId = req.context.userId!;
    return (await verified(userId)) ? undefined : verificationGate(messageStore, userId, newId());
  }

  /** The list and the upload form; after a refused upload, with what was typed and why. */
  async function showPortal(
    req: Request,
    res: Response,
    status = 200,
    typed: UploadTyped = EMPTY_FORM,
    errors: UploadErrors = {},
  ): Promise<void> {
    const csrfToken = issueCsrfToken(req, res);
    const videos = await queries.videosOf(req.context.userId!, LISTED, clock());
    res.status(status).render('creators-portal', {
      title: 'Your videos',
      gate: await gateOf(req),
      publishedAs: await queries.publishedAs(req.context.userId!),
      videos: videos.map(creatorVideoView),
      listedAll: videos.length < LISTED,
      // Multipart bodies are streamed by the route, after the CSRF check: the token rides in the URL.
      uploadAction: `${PORTAL_PATH}/videos?_csrf=${encodeURIComponent(csrfToken)}`,
      fileField: FILE_FIELD,
      fields: UPLOAD_FIELDS,
      typed,
      errors,
      visibilities: VISIBILITIES.map((value) => ({ value, ...VISIBILITY_WORDS[value] })),
      maxNameLength: MAX_NAME_LENGTH,
      maxDescriptionLength: MAX_DESCRIPTION_LENGTH,
      maxUploadBytes,
      maxUploadMegabytes: Math.floor(maxUploadBytes / (1024 * 1024)),
    });
  }

  router.get('/', (req, res) => showPortal(req, res));

  router.post('/videos', async (req, res) => {
    const gate = await gateOf(req);
    if (gate) {
      // Refused before the body is read: say why and close, rather than drain a file we will not keep.
      res.set('Connection', 'close');
      issueCsrfToken(req, res);
      return res.status(403).render('creators-unverified', { title: 'Confirm your email address first', gate });
    }
    // One creator's queue must not grow without end in front of everyone else's (the component refuses past it too).
    if ((await queries.videosInHand(req.context.userId!)) >= maxVideosInHand) {
      res.set('Connection', 'close');
      throw new TooManyRequestsError(
        `You already have ${counted(maxVideosInHand, 'video')} waiting to be converted, the most we take at once. Wait until one of them is published, then upload this one.`,
        QUOTA_RETRY_SECONDS,
      );
    }
    const release = uploadSlots.take(req.context.userId!);
    if (!release) {
      // The body is not read: say so and close, rather than drain a file we will not keep.
      res.set('Connection', 'close');
      throw new TooManyRequestsError(
        'You already have uploads on their way. Wait until they finish, then send this one.',
        UPLOAD_RETRY_SECONDS,
      );
    }
    // An upload may take far longer than the site's body deadline; a minimum rate bounds it instead.
    allowSlowBody(req);
    try {
      await receiveAndPublish(req, res);
    } catch (error) {
      if (!(error instanceof UploadFormError)) throw error;
      await showPortal(req, res, 400, error.typed, error.errors);
    } finally {
      release();
    }
  });

  async function receiveAndPublish(req: Request, res: Response): Promise<void> {
    const videoId = newId();
    const stored = await receiveUpload(req, {
      videoStore,
      key: videoKeys.source(videoId),
      maxBytes: maxUploadBytes,
      minimumRate: minimumUploadRate,
      // The form sends its text first: a title the rules refuse is refused before a byte is stored.
      beforeFile: (fields, filename) => void readUploadIntent(fields, filename),
    }).catch((error: unknown) => {
      // The video folder is full or read-only: nothing the creator did, and nothing was kept.
      throw isResourceExhausted(error)
        ? new ServiceUnavailableError(
            'We can’t take uploads right now. Please try again in a few minutes.',
            STORE_RETRY_SECONDS,
          )
        : error;
    });
    let published = false;
    try {
      if (stored.bytes === 0) throw new BadRequestError('That file is empty. Choose a video file to upload.');
      // Read again with every field: a client may send some after the file.
      const intent = readUploadIntent(stored.fields, stored.filename);
      const sender = senderOf(req);
      await send(sender, 'PublishVideo', {
        ownerId: sender.userId,
        videoId,
        sourceUri: stored.uri,
        visibility: intent.visibility,
      });
      published = true;
      // One action, one trace: the operation page follows the upload, the title and description ride along.
      if (intent.name !== '') await send(sender, 'NameVideo', { videoId, name: intent.name });
      if (intent.description !== '') await send(sender, 'DescribeVideo', { videoId, description: intent.description });
    } catch (error) {
      // No command, no file: an upload nobody will ever publish is not kept. Once PublishVideo is
      // written the file is the component's, whatever happens to the title after it.
      if (!published) await videoStore.remove(stored.uri);
      throw error;
    }
    followOperation(req, res, 'publish');
  }

  router.use(videoRoutes(kit));
  router.use(
    posterRoutes({
      ...kit,
      videoStore,
      sendStoredFile: storedFileSender(videoStore, accelRedirect),
      minimumUploadRate,
      uploadSlots,
    }),
  );
  router.get('/operations/:traceId', createOperationPage(queries));
  router.get('/operations/:traceId/status', createOperationStatus(queries));

  return { router, viewsDir: VIEWS_DIR };
}
