import { z } from 'zod';
import { streamName, type MessagesOf } from '../../message-store/index.ts';

export const VIEWING_CATEGORY = 'viewing';

export const viewingSchemas = {
  VideoViewed: z.object({
    videoId: z.uuid(),
    // Anonymous visitors may watch too.
    userId: z.string().min(1).nullable(),
  }),
} as const;

export type ViewingEvent = MessagesOf<typeof viewingSchemas>;
export type VideoViewed = Extract<ViewingEvent, { type: 'VideoViewed' }>;

export const viewingStreamName = (videoId: string): string => streamName(VIEWING_CATEGORY, videoId);
