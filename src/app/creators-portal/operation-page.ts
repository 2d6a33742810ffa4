import type { RequestHandler } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../web/errors.ts';
import type { CreatorsPortalQueries } from './queries.ts';
import { recentOperationKind } from './recent-operations.ts';
import { manageHref, operationView, watchHref } from './views.ts';

// Trace ids are uuids (request-context.ts); anything else cannot name an operation.
const traceIdSchema = z.uuid();
const REFRESH_SECONDS = 2;
const NOT_FOUND = { title: 'Change not found', next: { href: '/creators-portal', label: 'Back to your videos' } };
const NOT_YOURS = 'Nothing you asked for is at this address. The link may be mistyped, or it belongs to someone else.';

const DONE_NOTICES: Readonly<Record<string, string>> = {
  publish: 'Your video is published. This is its page; share the address.',
  name: 'Renamed.',
  describe: 'Description saved.',
  unpublish: 'Unpublished: the video is no longer in the catalog or watchable.',
};

/**
 * GET /creators-portal/operations/:traceId — a creator's action followed to its outcome:
 * pending (the page refreshes itself, no script needed), failed with the reason, or done,
 * which goes on to the video. Only the user who sent the command may see it.
 */
export function createOperationPage(queries: CreatorsPortalQueries): RequestHandler {
  return async (req, res) => {
    const userId = req.context.userId!;
    const parsed = traceIdSchema.safeParse(req.params.traceId);
    if (!parsed.success) throw new NotFoundError(NOT_YOURS, NOT_FOUND);
    const traceId = parsed.data.toLowerCase();
    const operation = await queries.operation(traceId);
    const sentKind = recentOperationKind(req, traceId);
    const mine = operation ? operation.userId === userId : sentKind !== undefined;
    if (!mine) throw new NotFoundError(NOT_YOURS, NOT_FOUND);

    if (operation?.status === 'done') {
      // The outcome and the catalog are kept by different subscribers: wait for the catalog
      // rather than send the creator to a watch page that is not there yet.
      const publishedNow = operation.kind === 'publish' && (await queries.isPublished(operation.videoId));
      if (operation.kind !== 'publish' || publishedNow) {
        req.session!.flash = DONE_NOTICES[operation.kind] ?? 'Done.';
        return res.redirect(303, operation.kind === 'publish' ? watchHref(operation.videoId) : manageHref(operation.videoId));
      }
    }
    const video = operation && (await queries.ownedVideo(userId, operation.videoId));
    const view = operationView(operation?.kind ?? sentKind, operation, video);
    res.render('creators-operation', { ...view, refreshSeconds: view.failed ? undefined : REFRESH_SECONDS });
  };
}
