import type { Request, Response } from 'express';
import { videoPublishingCommandSchemas } from '../../contracts/video-publishing.ts';
import { NotFoundError } from '../../web/errors.ts';
import type { createCommandSender, Sender } from './commands.ts';
import type { CreatorsPortalQueries, CreatorVideo } from './queries.ts';
import { rememberOperation, type OperationKind } from './recent-operations.ts';
import { operationHref, operationStatusHref, PORTAL_PATH } from './views.ts';

/** The contract's own check, so the routes and the commands agree on what a video id is. */
const videoIdSchema = videoPublishingCommandSchemas.DeleteVideo.shape.videoId;
export const YOUR_VIDEOS = { href: PORTAL_PATH, label: 'Back to your videos' };
const NOT_YOURS = 'You have no video here. It may belong to someone else, or the link is mistyped.';

/** What the portal's route files share. */
export interface PortalKit {
  readonly queries: CreatorsPortalQueries;
  readonly send: ReturnType<typeof createCommandSender>;
  /** Takes one change from the creator's allowance: 0, or the seconds until the next. */
  readonly editWait: (userId: string) => Promise<number>;
  readonly newId: () => string;
}

export const senderOf = (req: Request): Sender => ({ traceId: req.context.traceId, userId: req.context.userId! });

/** The creator's own video, or a 404 that says nothing of whether someone else's exists. */
export async function ownedVideo(queries: CreatorsPortalQueries, req: Request): Promise<CreatorVideo> {
  const videoId = videoIdSchema.safeParse(req.params.videoId);
  const video = videoId.success ? await queries.ownedVideo(req.context.userId!, videoId.data.toLowerCase()) : undefined;
  if (!video) throw new NotFoundError(NOT_YOURS, { title: 'Video not found', next: YOUR_VIDEOS });
  return video;
}

/** The manage page's script posts with Accept: application/json and follows the answer itself. */
export const wantsJson = (req: Request): boolean => req.get('accept')?.includes('application/json') === true;

/**
 * A command is written: the script gets 202 and where to ask for its outcome; a plain form
 * goes (post/redirect/get) to the page that follows it to its outcome.
 */
export function followOperation(req: Request, res: Response, kind: OperationKind): void {
  const { traceId } = req.context;
  rememberOperation(req, traceId, kind);
  if (wantsJson(req)) {
    res.status(202).json({
      operation: traceId,
      kind,
      statusUrl: operationStatusHref(traceId, kind),
      pageUrl: operationHref(traceId),
    });
    return;
  }
  res.redirect(303, operationHref(traceId));
}
