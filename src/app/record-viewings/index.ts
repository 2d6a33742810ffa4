import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Knex } from 'knex';
import type { MessageStore } from '../../message-store/index.ts';
import { BadRequestError, NotFoundError, TooManyRequestsError } from '../../web/errors.ts';
import type { RateLimits } from '../../web/rate-limits.ts';
import { localReturnPath } from '../../web/return-to.ts';
import type { VisitorKeyOf } from '../../web/visitor-key.ts';
import { viewingSchemas, viewingStreamName, type VideoViewed, type ViewingSource } from '../../contracts/viewing.ts';
import { createRecordViewingsQueries } from './queries.ts';
import { counted } from '../../plural.ts';

/** The contract's own check, so the route and the event agree on what a video id is. */
const videoIdSchema = viewingSchemas.VideoViewed.shape.videoId;

/**
 * Where a viewing came from, from what the browser says of the request. The watch page's player
 * (public/js/watch.js) posts with fetch and sends its token in a header; browsers mark such a
 * request Sec-Fetch-Dest: empty. A button pressed on a page is a navigation. Anything else is a
 * client we cannot tell apart, recorded as 'api'.
 */
function sourceOf(req: Request): ViewingSource {
  if (req.get('x-csrf-token') !== undefined || req.get('sec-fetch-dest') === 'empty') return 'watch-page';
  if (req.get('sec-fetch-mode') === 'navigate') return 'button';
  return 'api';
}

const NOT_HERE =
  'There is no published video here to count a viewing of. It may have been taken down; go back to the home page to find another.';

/** "10 minutes", "1 minute": how long until the address may record viewings again. */
function waitLabel(seconds: number): string {
  return counted(Math.ceil(seconds / 60), 'minute');
}

interface RecordViewingsDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly rateLimits: Pick<RateLimits, 'viewingWait'>;
  readonly visitorKeyOf: VisitorKeyOf;
  readonly newId?: () => string;
}

export function createRecordViewingsApp({
  db,
  messageStore,
  rateLimits,
  visitorKeyOf,
  newId = randomUUID,
}: RecordViewingsDeps) {
  const queries = createRecordViewingsQueries(db);

  async function recordViewing(req: Request, videoId: string): Promise<void> {
    const { traceId, userId } = req.context;
    const event: VideoViewed = {
      id: newId(),
      type: 'VideoViewed',
      data: { videoId, userId, source: sourceOf(req), visitorKey: visitorKeyOf(req) },
      metadata: { traceId, userId },
    };
    await messageStore.write(viewingStreamName(videoId), event);
  }

  const router = Router();
  router.post('/:videoId', async (req, res) => {
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    if (!videoId.success)
      throw new BadRequestError(
        'That link does not name a video. Go back to the video’s page and press the button there.',
      );
    // Before the catalog is read: an unknown id costs a try like any other, so probing is no cheaper.
    const wait = await rateLimits.viewingWait(req.ip ?? '');
    if (wait > 0)
      throw new TooManyRequestsError(
        `Too many viewings from your network just now, so this one was not counted. Try again in ${waitLabel(wait)}.`,
        wait,
      );
    // The counts take what the log holds, so what may not be counted is never written.
    if (!(await queries.isPublished(videoId.data.toLowerCase())))
      throw new NotFoundError(NOT_HERE, { title: 'Video not found' });
    await recordViewing(req, videoId.data.toLowerCase());
    req.session!.flash = 'Viewing recorded — thank you for watching.';
    // The form says where it was (helmet's Referrer-Policy leaves browsers sending no Referer).
    res.redirect(303, localReturnPath((req.body as { returnTo?: unknown } | undefined)?.returnTo));
  });

  return { router };
}
