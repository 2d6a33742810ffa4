import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { MessageStore } from '../../../message-store/index.ts';
import { issueCsrfToken } from '../../../web/csrf.ts';
import { BadRequestError } from '../../../web/errors.ts';
import { sendDeleteVideo, deleteCommandId } from '../shared/delete-video.ts';
import {
  ActionAlreadyRecordedError,
  actorOf,
  adminActionId,
  recordAdminAction,
} from '../shared/record-admin-action.ts';
import type { AdminVideo } from './queries.ts';
import { formBody } from '../shared/form-body.ts';

interface DeleteRouteDeps {
  readonly messageStore: MessageStore;
  readonly videoOf: (param: unknown) => Promise<AdminVideo>;
  readonly videoHref: (videoId: string) => string;
}

/**
 * Deleting a video, confirmed first: the video's page opens a dialog naming it (public/js/confirm-dialog.js),
 * and without JavaScript its button leads to GET /:videoId/delete, a page that asks the same. The
 * POST records the admin's action (VideoDeleteRequested), then sends DeleteVideo in the admin's
 * name; a confirmation posted twice is recorded and sent once.
 */
export function addDeleteRoutes(router: Router, { messageStore, videoOf, videoHref }: DeleteRouteDeps): void {
  router.get('/:videoId/delete', async (req: Request, res: Response) => {
    const video = await videoOf(req.params.videoId);
    if (video.status === 'deleted') return res.redirect(303, videoHref(video.videoId));
    issueCsrfToken(req, res);
    res.render('admin-video-delete', {
      title: `Delete ${video.name ?? 'Untitled'}?`,
      video: {
        videoId: video.videoId,
        name: video.name ?? 'Untitled',
        href: videoHref(video.videoId),
        actionHref: `${videoHref(video.videoId)}/delete`,
      },
      requestId: randomUUID(),
    });
  });

  router.post('/:videoId/delete', async (req: Request, res: Response) => {
    const video = await videoOf(req.params.videoId);
    const requestId = z.uuid().safeParse(formBody(req).request);
    if (!requestId.success)
      throw new BadRequestError('This form is missing a part. Reload the video’s page and try again.');
    if (video.status === 'deleted') {
      req.session!.flash = 'That video is deleted already.';
      return res.redirect(303, videoHref(video.videoId));
    }
    const actor = actorOf(req);
    const name = `delete/${requestId.data.toLowerCase()}`;
    let again = false;
    try {
      await recordAdminAction(
        messageStore,
        actor,
        'VideoDeleteRequested',
        { videoId: video.videoId },
        undefined,
        adminActionId(name),
      );
    } catch (error) {
      // The same confirmation posted again: the command goes out again, and is stored once.
      if (!(error instanceof ActionAlreadyRecordedError)) throw error;
      again = true;
    }
    await sendDeleteVideo(messageStore, actor, { videoId: video.videoId, commandId: deleteCommandId(name) });
    req.session!.flash = again
      ? 'That deletion was sent already.'
      : 'Deletion sent: the video and its files go within a moment, and this page says so once they have.';
    res.redirect(303, videoHref(video.videoId));
  });
}
