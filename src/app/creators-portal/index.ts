import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import {
  descriptionProblem,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  nameProblem,
  tidyText,
  videoPublishingCommandSchemas,
} from '../../contracts/video-publishing.ts';
import type { MessageStore } from '../../message-store/index.ts';
import { isResourceExhausted } from '../../subscription/retry.ts';
import { videoKeys, type VideoStore } from '../../video-store/index.ts';
import { requireUser } from '../../web/access.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { BadRequestError, NotFoundError, ServiceUnavailableError, TooManyRequestsError } from '../../web/errors.ts';
import { durationInWords } from '../../web/duration-words.ts';
import { counted } from '../../plural.ts';
import { allowSlowBody } from '../../web/body-deadline.ts';
import { sendStoredFile } from '../videos/send-stored-file.ts';
import { createCommandSender, type Sender } from './commands.ts';
import { createOperationPage } from './operation-page.ts';
import { createCreatorsPortalQueries, type CreatorVideo } from './queries.ts';
import { rememberOperation, type OperationKind } from './recent-operations.ts';
import type { MinimumRate } from './transfer-rate.ts';
import { FILE_FIELD, receiveUpload } from './upload.ts';
import { creatorVideoView, operationHref, PORTAL_PATH } from './views.ts';
import { createUploadSlots, type UploadSlots } from './upload-slots.ts';
import { verificationGate } from './verification-gate.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** The contract's own check, so the routes and the commands agree on what a video id is. */
const videoIdSchema = videoPublishingCommandSchemas.UnpublishVideo.shape.videoId;
// A creator's list is one page; far more videos than anyone uploads by hand.
const LISTED = 200;
const YOUR_VIDEOS = { href: '/creators-portal', label: 'Back to your videos' };
const NOT_YOURS = 'You have no video here. It may belong to someone else, or the link is mistyped.';

interface CreatorsPortalDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly videoStore: VideoStore;
  /** MAX_UPLOAD_BYTES: a bigger file is refused with 413 and nothing is kept. */
  readonly maxUploadBytes: number;
  /** An upload slower than this over its window is cut off (UPLOAD_MIN_BYTES_PER_SECOND). */
  readonly minimumUploadRate: MinimumRate;
  /** Takes one name or description change from the creator's allowance: 0, or the seconds until the next. */
  readonly editWait: (userId: string) => Promise<number>;
  /** How many videos a creator may have waiting and transcoding (the component's quota): one more upload is refused (429), nothing kept. */
  readonly maxVideosInHand: number;
  readonly newId?: () => string;
  readonly uploadSlots?: UploadSlots;
  /** Whether the user's address is confirmed; the credentials projection's answer unless given. */
  readonly emailVerified?: (userId: string) => Promise<boolean>;
}

const UPLOAD_SLOTS = { perUser: 2, total: 8 };
const UPLOAD_RETRY_SECONDS = 30;
// A transcode takes a minute or more: no sooner than that is another one free.
const QUOTA_RETRY_SECONDS = 60;
// A full or read-only video folder waits for an operator.
const STORE_RETRY_SECONDS = 300;

const senderOf = (req: Request): Sender => ({ traceId: req.context.traceId, userId: req.context.userId! });

/** The video's two text fields: which command changes each, and the contract's rule for it. */
const TEXT_FIELDS = {
  name: { command: 'NameVideo', problem: nameProblem, operation: 'name' },
  description: { command: 'DescribeVideo', problem: descriptionProblem, operation: 'describe' },
} as const;
type TextField = keyof typeof TEXT_FIELDS;

/** A text field of the form, as typed. */
function textField(req: Request, name: TextField): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string') throw new BadRequestError('Use the form on the video’s page.');
  return value;
}

/** "a name cannot be blank" → "A name cannot be blank." */
const sentence = (phrase: string): string => `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)}.`;

/** The creators portal: a creator's own videos, the upload, and the commands that change a video. */
export function createCreatorsPortalApp({
  db,
  messageStore,
  videoStore,
  maxUploadBytes,
  minimumUploadRate,
  maxVideosInHand,
  editWait,
  newId = randomUUID,
  uploadSlots = createUploadSlots(UPLOAD_SLOTS),
  emailVerified,
}: CreatorsPortalDeps) {
  const queries = createCreatorsPortalQueries(db);
  const verified = emailVerified ?? queries.emailVerified;
  const send = createCommandSender(messageStore, newId);
  const operationPage = createOperationPage(queries);

  /** The creator's own video, or a 404 that says nothing of whether someone else's exists. */
  async function ownedVideo(req: Request): Promise<CreatorVideo> {
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    const video = videoId.success ? await queries.ownedVideo(req.context.userId!, videoId.data.toLowerCase()) : undefined;
    if (!video) throw new NotFoundError(NOT_YOURS, { title: 'Video not found', next: YOUR_VIDEOS });
    return video;
  }

  /** Post/redirect/get to the page that follows the command to its outcome. */
  function followOperation(req: Request, res: Response, kind: OperationKind): void {
    rememberOperation(req, req.context.traceId, kind);
    res.redirect(303, operationHref(req.context.traceId));
  }

  const router = Router();
  // An action posted by someone not logged in gets the same 404 as another creator's would (the
  // issue's rule: nothing about a video is confirmed to strangers); pages send them to log in.
  router.use((req, _res, next) =>
    next(req.context.userId || req.method === 'GET' || req.method === 'HEAD' ? undefined : new NotFoundError('There is no such page.', { next: YOUR_VIDEOS })),
  );
  router.use(requireUser());

  /**
   * Uploading publishes under the user's name: only with a confirmed address. The gate shows why,
   * and offers the link again. Undefined once confirmed.
   */
  async function gateOf(req: Request) {
    const userId = req.context.userId!;
    return (await verified(userId)) ? undefined : verificationGate(messageStore, userId, newId());
  }

  router.get('/', async (req, res) => {
    const csrfToken = issueCsrfToken(req, res);
    const videos = await queries.videosOf(req.context.userId!, LISTED);
    res.render('creators-portal', {
      title: 'Your videos',
      gate: await gateOf(req),
      publishedAs: await queries.publishedAs(req.context.userId!),
      videos: videos.map(creatorVideoView),
      listedAll: videos.length < LISTED,
      // Multipart bodies are streamed by the route, after the CSRF check: the token rides in the URL.
      uploadAction: `${PORTAL_PATH}/videos?_csrf=${encodeURIComponent(csrfToken)}`,
      fileField: FILE_FIELD,
      maxUploadBytes,
      maxUploadMegabytes: Math.floor(maxUploadBytes / (1024 * 1024)),
    });
  });

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
      throw new TooManyRequestsError('You already have uploads on their way. Wait until they finish, then send this one.', UPLOAD_RETRY_SECONDS);
    }
    // An upload may take far longer than the site's body deadline; a minimum rate bounds it instead.
    allowSlowBody(req);
    try {
      await receiveAndPublish(req, res);
    } finally {
      release();
    }
  });

  async function receiveAndPublish(req: Request, res: Response): Promise<void> {
    const videoId = newId();
    const stored = await receiveUpload(req, { videoStore, key: videoKeys.source(videoId), maxBytes: maxUploadBytes, minimumRate: minimumUploadRate }).catch(
      (error: unknown) => {
        // The video folder is full or read-only: nothing the creator did, and nothing was kept.
        throw isResourceExhausted(error)
          ? new ServiceUnavailableError('We can’t take uploads right now. Please try again in a few minutes.', STORE_RETRY_SECONDS)
          : error;
      },
    );
    try {
      if (stored.bytes === 0) throw new BadRequestError('That file is empty. Choose a video file to upload.');
      await send(senderOf(req), 'PublishVideo', { ownerId: req.context.userId!, videoId, sourceUri: stored.uri, visibility: 'public' });
    } catch (error) {
      // No command, no file: an upload nobody will ever publish is not kept.
      await videoStore.remove(stored.uri);
      throw error;
    }
    followOperation(req, res, 'publish');
  }

  /** The video's page; after a refused change, with what was typed kept in its field and the reason beside it. */
  function showVideo(req: Request, res: Response, video: CreatorVideo, status = 200, refused?: { field: TextField; value: string; error: string }): void {
    const view = creatorVideoView(video);
    issueCsrfToken(req, res);
    res.status(status).render('creators-video', {
      title: view.name,
      video: view,
      maxNameLength: MAX_NAME_LENGTH,
      maxDescriptionLength: MAX_DESCRIPTION_LENGTH,
      typed: { name: view.named ? view.name : '', description: view.description, [refused?.field ?? 'none']: refused?.value },
      errors: refused ? { [refused.field]: refused.error } : {},
    });
  }

  router.get('/videos/:videoId', async (req, res) => showVideo(req, res, await ownedVideo(req)));

  router.get('/videos/:videoId/poster.jpg', async (req, res) => {
    const video = await ownedVideo(req);
    if (!video.posterUri)
      throw new NotFoundError('This video has no poster yet: it gets one when it is converted.', { title: 'No poster yet', next: YOUR_VIDEOS });
    await sendStoredFile(req, res, videoStore, video.posterUri, 'image/jpeg');
  });

  // The component checks the rules (and ownership) again and answers each command; the
  // operation page shows that answer.
  // Text the rules refuse is refused here, before a command is written: a command and its
  // rejection are kept for good, and both would repeat it. The component checks again.
  for (const field of Object.keys(TEXT_FIELDS) as TextField[]) {
    const { command, problem, operation } = TEXT_FIELDS[field];
    router.post(`/videos/:videoId/${field}`, async (req, res) => {
      const video = await ownedVideo(req);
      const value = textField(req, field);
      const refused = problem(value);
      if (refused) return showVideo(req, res, video, 400, { field, value, error: sentence(refused) });
      const wait = await editWait(req.context.userId!);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        const error = `You have made many changes in a short while. Try again in ${durationInWords(wait)}; what you typed is still here.`;
        return showVideo(req, res, video, 429, { field, value, error });
      }
      // Sent as the rules read it: spaces around the text would be kept for good in the log, and
      // enough of them push the command past its contract, to be parked with no answer.
      const text = tidyText(value);
      const data = field === 'name' ? { videoId: video.videoId, name: text } : { videoId: video.videoId, description: text };
      await send(senderOf(req), command, data);
      followOperation(req, res, operation);
    });
  }

  router.post('/videos/:videoId/unpublish', async (req, res) => {
    const video = await ownedVideo(req);
    await send(senderOf(req), 'UnpublishVideo', { videoId: video.videoId });
    followOperation(req, res, 'unpublish');
  });

  router.get('/operations/:traceId', operationPage);

  return { router, viewsDir: VIEWS_DIR };
}
