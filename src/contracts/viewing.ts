import { z } from 'zod';
import { streamName, type Evolution, type MessagesOf } from '../message-store/index.ts';

export const VIEWING_CATEGORY = 'viewing';

/**
 * Where a viewing came from: the watch page's player (its script, on first play), a button a
 * person pressed, another client, or not recorded (version 1 viewings; see viewingEvolutions below).
 */
const viewingSources = ['watch-page', 'button', 'api', 'unknown'] as const;
export type ViewingSource = (typeof viewingSources)[number];

/**
 * Version 3 (viewingEvolutions below): readers always see a source, and a visitor key
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

const UNKNOWN: ViewingSource = 'unknown';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * VideoViewed, version 2, says where the viewing came from (the watch page's player, a button,
 * another client). Version 1 did not record it, so an old viewing's source is 'unknown': no
 * guess from its metadata would be better than saying so.
 *
 * Version 3 names the visitor by a pseudonymous key, so the counts can take one viewing per
 * visitor and video per window. Versions 1 and 2 named nobody: their key is null, and each of
 * them counts, as it always did. There is nothing to tell their viewers apart by, and counting
 * them now as one would rewrite history the site already showed.
 */
const videoViewedEvolution: Evolution = {
  type: 'VideoViewed',
  current: '3',
  steps: {
    '1': (data) => (isRecord(data) ? { ...data, source: UNKNOWN } : data),
    '2': (data) => (isRecord(data) ? { ...data, visitorKey: null } : data),
  },
};

/** Every change of shape this contract's types went through (src/contracts/versions.ts lists them all). */
export const viewingEvolutions: readonly Evolution[] = [videoViewedEvolution];
