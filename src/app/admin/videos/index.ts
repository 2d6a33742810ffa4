import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import {
  MAX_TAKE_DOWN_REASON_LENGTH,
  videoPublishingCommandSchemas,
  videoPublishingStreamName,
} from '../../../contracts/video-publishing.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError, NotFoundError } from '../../../web/errors.ts';
import { asOfHref } from '../shared/links.ts';
import { streamMessagesHref, timeLabel } from '../shared/format.ts';
import { exportHref } from '../shared/links.ts';
import {
  ActionAlreadyRecordedError,
  actorOf,
  adminActionId,
  recordAdminAction,
} from '../shared/record-admin-action.ts';
import type { AdminSectionFactory } from '../section.ts';
import { addDeleteRoutes } from './delete.ts';
import { createVideoQueries, type AdminVideo } from './queries.ts';
import { videoStatusLabel } from '../shared/video-status.ts';
import { sendTakeDown, takeDownCommandId } from '../shared/take-down.ts';
import { formBody } from '../shared/form-body.ts';

const VIEWS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
/** The contract's own check, so the portal and the component agree on what a video id is. */
const videoIdSchema = videoPublishingCommandSchemas.TakeDownVideo.shape.videoId;
const UUID_SHAPE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const reasonSchema = z
  .string()
  .trim()
  .min(1, 'Say why it is taken down: its creator reads this.')
  .max(MAX_TAKE_DOWN_REASON_LENGTH, `Up to ${MAX_TAKE_DOWN_REASON_LENGTH} characters.`);

const videoHref = (videoId: string): string => `/admin/videos/${videoId}`;
/** A video id, from itself or from an address holding one (its watch page, its admin page). */
function videoIdIn(text: string): string | undefined {
  const found = videoIdSchema.safeParse(UUID_SHAPE.exec(text)?.[0]);
  return found.success ? found.data.toLowerCase() : undefined;
}

/**
 * Videos: find one by its address or id, take it down or delete it (./delete.ts). A take-down is recorded as the
 * admin's action (VideoTakeDownRequested), then sent to video-publishing as TakeDownVideo in the
 * admin's name; the component checks the role itself (src/contracts/video-publishing.md, "Who is
 * an admin").
 */
export const videosSection: AdminSectionFactory = ({ db, messageStore }) => {
  const queries = createVideoQueries(db);
  const router = Router();

  async function videoOf(param: unknown): Promise<AdminVideo> {
    const parsed = videoIdSchema.safeParse(param);
    const video = parsed.success ? await queries.video(parsed.data.toLowerCase()) : undefined;
    if (!video)
      throw new NotFoundError(
        'There is no video with that id (or it is not in the admin pages yet: try again in a moment).',
      );
    return video;
  }

  /** The video's page; `form` keeps what was typed when a take-down is refused. */
  async function renderVideo(
    req: Request,
    res: Response,
    video: AdminVideo,
    form: { reason?: string; error?: string } = {},
  ): Promise<void> {
    issueCsrfToken(req, res);
    const takenDown =
      video.status === 'takenDown'
        ? await messageStore.readLastMessage(videoPublishingStreamName(video.videoId), 'VideoTakenDown')
        : undefined;
    const takenDownData = (takenDown?.data ?? {}) as { reason?: unknown };
    res.render('admin-video', {
      title: video.name ?? 'Untitled video',
      video: {
        videoId: video.videoId,
        name: video.name ?? 'Untitled',
        status: videoStatusLabel(video.status),
        visibility: video.status === 'published' ? video.visibility : undefined,
        deleted: video.status === 'deleted',
        uploaded: timeLabel(video.acceptedAt),
        ownerHref: `/admin/users/${video.ownerId}`,
        owner: video.ownerEmail ?? video.ownerId,
        ownerName: video.ownerName,
        // Admins may watch drafts too.
        watchHref: video.status === 'published' ? `/videos/${video.videoId}` : undefined,
        messagesHref: streamMessagesHref(videoPublishingStreamName(video.videoId)),
        asOfHref: asOfHref('video', video.videoId),
        exportHref: exportHref('video', video.videoId),
        actionHref: `${videoHref(video.videoId)}/take-down`,
        deleteHref: `${videoHref(video.videoId)}/delete`,
      },
      takenDown: takenDown && {
        time: timeLabel(takenDown.time),
        by: takenDown.metadata.userId ?? 'an admin',
        reason: typeof takenDownData.reason === 'string' ? takenDownData.reason : '',
      },
      // A new key per page: posting this form twice takes the video down (or deletes it) once.
      requestId: randomUUID(),
      reason: form.reason ?? '',
      error: form.error,
      maxReasonLength: MAX_TAKE_DOWN_REASON_LENGTH,
    });
  }

  router.get('/', async (req, res) => {
    const typed = typeof req.query.video === 'string' ? req.query.video.trim() : undefined;
    if (typed) {
      const videoId = videoIdIn(typed);
      if (videoId) return res.redirect(303, videoHref(videoId));
    }
    res.status(typed ? 400 : 200).render('admin-videos', {
      title: 'Videos',
      typed: typed ?? '',
      error: typed
        ? 'That holds no video id. Paste the address of the video’s watch page (…/videos/<id>) or the id itself.'
        : undefined,
    });
  });

  router.get('/:videoId', async (req, res) => {
    await renderVideo(req, res, await videoOf(req.params.videoId));
  });

  router.post('/:videoId/take-down', async (req, res) => {
    const video = await videoOf(req.params.videoId);
    const form = formBody(req);
    const reason = reasonSchema.safeParse(form.reason);
    if (!reason.success) {
      res.status(400);
      return renderVideo(req, res, video, {
        reason: typeof form.reason === 'string' ? form.reason : '',
        error: reason.error.issues[0]?.message,
      });
    }
    const requestId = z.uuid().safeParse(form.request);
    if (!requestId.success)
      throw new BadRequestError('This form is missing a part. Reload the video’s page and try again.');
    // A double click's second post can land after the first one's take-down applied: say so, as delete does.
    if (video.status === 'takenDown') {
      req.session!.flash = 'That video is taken down already.';
      return res.redirect(303, videoHref(video.videoId));
    }
    const actor = actorOf(req);
    const name = `take-down/${requestId.data.toLowerCase()}`;
    let again = false;
    try {
      await recordAdminAction(
        messageStore,
        actor,
        'VideoTakeDownRequested',
        { videoId: video.videoId, reason: reason.data },
        undefined,
        adminActionId(name),
      );
    } catch (error) {
      // The same form posted again (a double click): the command goes out again, and is stored once.
      if (!(error instanceof ActionAlreadyRecordedError)) throw error;
      again = true;
    }
    await sendTakeDown(messageStore, actor, {
      videoId: video.videoId,
      reason: reason.data,
      commandId: takeDownCommandId(name),
    });
    req.session!.flash = again
      ? 'That take-down was sent already.'
      : 'Take-down sent: the video leaves the catalog and its page within a moment, and this page says so once it has.';
    res.redirect(303, videoHref(video.videoId));
  });

  addDeleteRoutes(router, { messageStore, videoOf, videoHref });

  return { path: 'videos', title: 'Videos', router, viewsDir: VIEWS_DIR };
};
