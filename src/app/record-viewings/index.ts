import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { validate as isUuid } from 'uuid';
import type { MessageStore } from '../../message-store/index.ts';
import { BadRequestError } from '../../web/errors.ts';
import { viewingStreamName, type VideoViewed } from './contract.ts';

export interface RecordViewingsDeps {
  readonly messageStore: MessageStore;
  readonly newId?: () => string;
}

export function createRecordViewingsApp({ messageStore, newId = randomUUID }: RecordViewingsDeps) {
  async function recordViewing(context: { traceId: string; userId: string | null }, videoId: string): Promise<void> {
    const event: VideoViewed = {
      id: newId(),
      type: 'VideoViewed',
      data: { videoId, userId: context.userId },
      metadata: { traceId: context.traceId, userId: context.userId },
    };
    await messageStore.write(viewingStreamName(videoId), event);
  }

  const router = Router();
  router.post('/:videoId', async (req, res) => {
    const videoId = req.params.videoId;
    if (!isUuid(videoId)) throw new BadRequestError('That is not a video id: video ids are UUIDs.');
    await recordViewing(req.context, videoId.toLowerCase());
    req.session!.flash = 'Viewing recorded — the count updates within a moment.';
    res.redirect(303, safeReturnPath(req.get('referer')));
  });

  return { router, actions: { recordViewing } };
}

/** Back to the page the form was on, but never to another site. */
function safeReturnPath(referer: string | undefined): string {
  if (!referer) return '/';
  try {
    const url = new URL(referer, 'http://local.invalid');
    return url.pathname.startsWith('/') && !url.pathname.startsWith('//') ? url.pathname + url.search : '/';
  } catch {
    return '/';
  }
}
