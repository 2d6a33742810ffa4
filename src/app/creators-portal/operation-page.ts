import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../web/errors.ts';
import type { CreatorsPortalQueries, Operation } from './queries.ts';
import { recentOperationKind } from './recent-operations.ts';
import { DONE_NOTICES, followedOperation, manageHref, operationView, PORTAL_PATH, reasonSentence } from './views.ts';

// Trace ids are uuids (request-context.ts); anything else cannot name an operation.
const traceIdSchema = z.uuid();
const REFRESH_SECONDS = 2;
const NOT_FOUND = { title: 'Change not found', next: { href: '/creators-portal', label: 'Back to your videos' } };
const NOT_YOURS = 'Nothing you asked for is at this address. The link may be mistyped, or it belongs to someone else.';

interface Followed {
  readonly kind: string | undefined;
  readonly operation: Operation | undefined;
}

/** The operation this user asked for under the trace in the address (of `kind` if given), or a 404. */
async function followed(queries: CreatorsPortalQueries, req: Request, kind?: string): Promise<Followed> {
  const userId = req.context.userId!;
  const parsed = traceIdSchema.safeParse(req.params.traceId);
  if (!parsed.success) throw new NotFoundError(NOT_YOURS, NOT_FOUND);
  const traceId = parsed.data.toLowerCase();
  const sentKind = recentOperationKind(req, traceId);
  const operations = await queries.operations(traceId);
  // Asked for by kind (the script): that command's answer only, not another of the same action.
  const operation =
    kind === undefined ? followedOperation(operations, sentKind) : operations.find((each) => each.kind === kind);
  const mine = operation
    ? operation.userId === userId
    : sentKind !== undefined && (kind === undefined || kind === sentKind);
  if (!mine) throw new NotFoundError(NOT_YOURS, NOT_FOUND);
  return { kind: operation?.kind ?? kind ?? sentKind, operation };
}

/**
 * GET /creators-portal/operations/:traceId — a creator's action followed to its outcome:
 * pending (the page refreshes itself, no script needed), failed with the reason, or done,
 * which goes on to the video. Only the user who sent the command may see it.
 */
export function createOperationPage(queries: CreatorsPortalQueries): RequestHandler {
  return async (req, res) => {
    const userId = req.context.userId!;
    const { kind, operation } = await followed(queries, req);
    if (operation?.status === 'done') {
      // The outcome and the creator's list are kept by different subscribers: a converted video
      // is shown once its page says so, rather than as still converting.
      const video = await queries.ownedVideo(userId, operation.videoId);
      const shown = operation.kind !== 'publish' || video?.status === 'published';
      if (shown) {
        req.session!.flash = DONE_NOTICES[operation.kind] ?? 'Done.';
        return res.redirect(303, operation.kind === 'delete' ? PORTAL_PATH : manageHref(operation.videoId));
      }
    }
    const video = operation && (await queries.ownedVideo(userId, operation.videoId));
    const view = operationView(kind, operation, video);
    res.render('creators-operation', { ...view, refreshSeconds: view.failed ? undefined : REFRESH_SECONDS });
  };
}

/**
 * GET /creators-portal/operations/:traceId/status?kind=name — the same, for the manage page's
 * script: { state: 'pending' | 'done' | 'failed', message }. Not cached: it is asked again until decided.
 */
export function createOperationStatus(queries: CreatorsPortalQueries): RequestHandler {
  return async (req, res) => {
    const kind = typeof req.query.kind === 'string' ? req.query.kind : undefined;
    const { kind: followedKind, operation } = await followed(queries, req, kind);
    res.set('Cache-Control', 'no-store');
    const state = operation?.status === 'done' || operation?.status === 'failed' ? operation.status : 'pending';
    const message =
      state === 'done'
        ? (DONE_NOTICES[followedKind ?? ''] ?? 'Done.')
        : state === 'failed'
          ? reasonSentence(operation)
          : 'Saving…';
    res.json({ state, message });
  };
}
