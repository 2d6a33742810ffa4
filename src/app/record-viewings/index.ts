import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { MessageStore } from '../../message-store/index.ts';
import { BadRequestError } from '../../web/errors.ts';
import { localReturnPath } from '../../web/return-to.ts';
import { viewingSchemas, viewingStreamName, type VideoViewed, type ViewingSource } from './contract.ts';

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

interface RecordViewingsDeps {
  readonly messageStore: MessageStore;
  readonly newId?: () => string;
}

export function createRecordViewingsApp({ messageStore, newId = randomUUID }: RecordViewingsDeps) {
  async function recordViewing(context: { traceId: string; userId: string | null }, videoId: string, source: ViewingSource): Promise<void> {
    const event: VideoViewed = {
      id: newId(),
      type: 'VideoViewed',
      data: { videoId, userId: context.userId, source },
      metadata: { traceId: context.traceId, userId: context.userId },
    };
    await messageStore.write(viewingStreamName(videoId), event);
  }

  const router = Router();
  router.post('/:videoId', async (req, res) => {
    const videoId = videoIdSchema.safeParse(req.params.videoId);
    if (!videoId.success) throw new BadRequestError('That is not a video id: video ids are UUIDs.');
    await recordViewing(req.context, videoId.data.toLowerCase(), sourceOf(req));
    req.session!.flash = 'Viewing recorded — the count updates within a moment.';
    // The form says where it was (helmet's Referrer-Policy leaves browsers sending no Referer).
    res.redirect(303, localReturnPath((req.body as { returnTo?: unknown } | undefined)?.returnTo));
  });

  return { router };
}
