import { z } from 'zod';
import { categoryOf, streamName, type MessagesOf } from '../message-store/index.ts';
import { sealedSchema } from '../personal-data/seal.ts';

export const PLAYBACK_CATEGORY = 'playback';

/** The longest video the site converts is 2 hours; a report of more than this is no video of ours. */
export const MAX_PLAYBACK_SECONDS = 6 * 60 * 60;
/** A player reports a moment after the end (its clock and the file's length round differently). */
export const POSITION_SLACK_SECONDS = 5;

const seconds = z.number().finite().min(0).max(MAX_PLAYBACK_SECONDS);

const withinTheVideo = {
  check: ({ positionSeconds, durationSeconds }: { positionSeconds: number; durationSeconds: number }) =>
    positionSeconds <= durationSeconds + POSITION_SLACK_SECONDS,
  params: { message: 'the position is past the end of the video', path: ['positionSeconds'] },
};

/** A position within its video, as a player reports it: non-negative, finite, at most the duration and a little slack. */
export const playbackProgressSchema = z
  .object({ positionSeconds: seconds, durationSeconds: seconds.positive() })
  .refine(withinTheVideo.check, withinTheVideo.params);

/**
 * The events of a viewer's own stream, playback-<userId>; each names its viewer (the stream's id)
 * as `userId`, whose key seals its personal fields, as identity's and authentication's do. Which
 * video someone watched is personal: the video id is sealed with their key
 * (src/personal-data/seal.ts) and never travels plain, so once they are erased nothing says what
 * they watched.
 */
export const playbackSchemas = {
  PlaybackProgressed: z
    .object({ userId: z.uuid(), videoId: sealedSchema, positionSeconds: seconds, durationSeconds: seconds.positive() })
    .refine(withinTheVideo.check, withinTheVideo.params),
  // The viewer cleared their history: every position before this one is forgotten.
  PlaybackHistoryCleared: z.object({ userId: z.uuid() }),
} as const;

export type PlaybackEvent = MessagesOf<typeof playbackSchemas>;
export type PlaybackProgressed = Extract<PlaybackEvent, { type: 'PlaybackProgressed' }>;
export type PlaybackHistoryCleared = Extract<PlaybackEvent, { type: 'PlaybackHistoryCleared' }>;

export const playbackStreamName = (userId: string): string => streamName(PLAYBACK_CATEGORY, userId);

/** The viewer a playback stream belongs to, or undefined when the name is not one. */
export function playbackViewerOf(name: string): string | undefined {
  if (categoryOf(name) !== PLAYBACK_CATEGORY) return undefined;
  const userId = z.uuid().safeParse(name.slice(PLAYBACK_CATEGORY.length + 1));
  return userId.success ? userId.data.toLowerCase() : undefined;
}
