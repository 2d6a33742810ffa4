import { Router, type Request, type Response } from 'express';
import { descriptionProblem, nameProblem, tidyText, isVisibility } from '../../contracts/video-publishing.ts';
import { issueCsrfToken } from '../../web/csrf.ts';
import { BadRequestError } from '../../web/errors.ts';
import { followOperation, ownedVideo, senderOf, type PortalKit } from './kit.ts';
import { refuse, showVideo, takeFromAllowance, type ManageField } from './manage-page.ts';
import type { CreatorVideo } from './queries.ts';
import { sentence } from './upload-form.ts';
import { creatorVideoView } from './views.ts';

/** A field of the form, as typed. */
function formText(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string') throw new BadRequestError('Use the form on the video’s page.');
  return value;
}

/**
 * The manage page and the changes made from it: title, description, visibility, delete. Text
 * the rules refuse is refused here, before a command is written (a command and its rejection
 * are kept for good, and both would repeat it); the component checks again, and ownership too.
 */
export function videoRoutes({ queries, send, editWait }: PortalKit): Router {
  const router = Router();

  router.get('/videos/:videoId', async (req, res) => showVideo(req, res, await ownedVideo(queries, req)));

  const withinAllowance = (req: Request, res: Response, video: CreatorVideo, field: ManageField, value: string) =>
    takeFromAllowance(editWait, req, res, video, { field, value });

  router.post('/videos/:videoId/name', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const value = formText(req, 'name');
    const refused = nameProblem(value);
    if (refused) return refuse(req, res, video, 400, { field: 'name', value, error: sentence(refused) });
    if (!(await withinAllowance(req, res, video, 'name', value))) return;
    // Sent as the rules read it: spaces around the text would be kept for good in the log.
    await send(senderOf(req), 'NameVideo', { videoId: video.videoId, name: tidyText(value) });
    followOperation(req, res, 'name');
  });

  router.post('/videos/:videoId/description', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const value = formText(req, 'description');
    const refused = descriptionProblem(value);
    if (refused) return refuse(req, res, video, 400, { field: 'description', value, error: sentence(refused) });
    if (!(await withinAllowance(req, res, video, 'description', value))) return;
    await send(senderOf(req), 'DescribeVideo', { videoId: video.videoId, description: tidyText(value) });
    followOperation(req, res, 'describe');
  });

  // "Make it a draft" replaced unpublishing: every visibility can be changed back.
  router.post('/videos/:videoId/visibility', async (req, res) => {
    const video = await ownedVideo(queries, req);
    const value = formText(req, 'visibility');
    if (!isVisibility(value))
      return refuse(req, res, video, 400, {
        field: 'visibility',
        value: video.visibility,
        error: 'Choose draft, unlisted or public.',
      });
    if (!(await withinAllowance(req, res, video, 'visibility', value))) return;
    await send(senderOf(req), 'SetVideoVisibility', { videoId: video.videoId, visibility: value });
    followOperation(req, res, 'visibility');
  });

  // Without a script, the delete button is a link to this second page; with one, a dialog asks the same.
  router.get('/videos/:videoId/delete', async (req, res) => {
    const video = creatorVideoView(await ownedVideo(queries, req));
    issueCsrfToken(req, res);
    res.render('creators-delete', { title: `Delete “${video.name}”?`, video });
  });

  router.post('/videos/:videoId/delete', async (req, res) => {
    const video = await ownedVideo(queries, req);
    await send(senderOf(req), 'DeleteVideo', { videoId: video.videoId });
    followOperation(req, res, 'delete');
  });

  return router;
}
