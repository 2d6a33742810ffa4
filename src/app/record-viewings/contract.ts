import { z } from 'zod';
import { streamName, type MessagesOf } from '../../message-store/index.ts';

export const VIEWING_CATEGORY = 'viewing';

/**
 * Where a viewing came from: the watch page's player (its script, on first play), a button a
 * person pressed, another client, or not recorded (version 1 viewings; see src/versions).
 */
const viewingSources = ['watch-page', 'button', 'api', 'unknown'] as const;
export type ViewingSource = (typeof viewingSources)[number];

/**
 * Version 3 (src/versions/video-viewed.ts): readers always see a source, and a visitor key
 * (null for viewings written before version 3, which named no visitor).
 */
export const viewingSchemas = {
  VideoViewed: z.object({
    videoId: z.uuid(),
    // Anonymous visitors may watch too.
    userId: z.string().min(1).nullable(),
    // A viewing is counted even when its source is missing or one this code does not know.
    source: z.enum(viewingSources).catch('unknown'),
    /**
     * Who watched, as the counts tell viewers apart: a keyed hash (src/web/visitor-key.ts), never
     * an address or session id. Missing reads as null: counted like an old viewing.
     */
    visitorKey: z.string().min(1).max(128).nullable().default(null),
  }),
} as const;

export type ViewingEvent = MessagesOf<typeof viewingSchemas>;
export type VideoViewed = Extract<ViewingEvent, { type: 'VideoViewed' }>;

export const viewingStreamName = (videoId: string): string => streamName(VIEWING_CATEGORY, videoId);
