import type { Knex } from 'knex';
import { z } from 'zod';
import { IDENTITY_CATEGORY, identityEventSchemas } from '../../contracts/identity.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { PLAYBACK_CATEGORY, playbackSchemas, playbackViewerOf } from '../../contracts/playback.ts';
import { MessageDataError, type RawMessage } from '../../message-store/index.ts';
import { lockEachInOrder } from '../../db/advisory-locks.ts';
import {
  createPersonalData,
  erasedUserIds,
  openMessageField,
  type RememberingPersonalData,
} from '../../personal-data/seal.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';

/** Renaming one replays its category: safe (every row is guarded) but slow. */
export const PLAYBACK_SUBSCRIBER_IDS = {
  playback: 'aggregators:playback',
  erasures: 'aggregators:playback:erasures',
} as const;

/** What a playback event does, with its video opened; the stream position guards each row. */
type PlaybackChange =
  | {
      readonly kind: 'progressed';
      readonly userId: string;
      readonly videoId: string;
      readonly positionSeconds: number;
      readonly durationSeconds: number;
      readonly time: Date;
      readonly position: number;
    }
  | { readonly kind: 'cleared'; readonly userId: string; readonly position: number };

const videoIdSchema = z.uuid();

/**
 * One key store per batch's transaction, remembering each viewer's key: a batch of a thousand
 * reports by a few hundred viewers reads their keys in one statement (prepare), not a thousand
 * times. What it opened is checked again, uncached, under the viewer's lock before anything is
 * written (apply).
 */
const batchKeys = new WeakMap<Knex.Transaction, RememberingPersonalData>();
function keysOf(trx: Knex.Transaction): RememberingPersonalData {
  let keys = batchKeys.get(trx);
  if (keys === undefined) {
    keys = createPersonalData(trx, { remember: true });
    batchKeys.set(trx, keys);
  }
  return keys;
}

/**
 * Opens the video id with the viewer's key, through the batch's transaction. An erased viewer's
 * no longer opens, so neither live after the erasure nor a rebuild makes a row for them; a seal
 * altered in the store throws MessageDataError (skipped and recorded), as does a report written
 * to a stream that names no viewer.
 */
async function parsePlayback(message: RawMessage, trx: Knex.Transaction): Promise<PlaybackChange | undefined> {
  const event = parseMessage(playbackSchemas, message);
  if (!event) return undefined;
  const userId = playbackViewerOf(event.streamName);
  if (userId === undefined || event.data.userId.toLowerCase() !== userId) {
    throw new MessageDataError(
      event.id,
      event.type,
      `written to ${event.streamName}, not the stream of its viewer ${event.data.userId}`,
    );
  }
  const personalData = keysOf(trx);
  switch (event.type) {
    case 'PlaybackProgressed': {
      const opened = await openMessageField(personalData, event, userId, 'videoId', event.data.videoId);
      if (opened === undefined) return undefined;
      const videoId = videoIdSchema.safeParse(opened);
      if (!videoId.success) throw new MessageDataError(event.id, event.type, 'videoId: not a video id');
      const { positionSeconds, durationSeconds } = event.data;
      const time = event.time;
      return {
        kind: 'progressed',
        userId,
        videoId: videoId.data.toLowerCase(),
        positionSeconds,
        durationSeconds,
        time,
        position: event.position,
      };
    }
    case 'PlaybackHistoryCleared':
      // An erased viewer has nothing left to clear, and keeps no row saying they cleared it.
      return (await personalData.isErased(userId)) ? undefined : { kind: 'cleared', userId, position: event.position };
    default: {
      const unexpected: never = event;
      throw new Error(`no playback change for ${(unexpected as { type: string }).type}`);
    }
  }
}

type Progressed = Extract<PlaybackChange, { kind: 'progressed' }>;
type Cleared = Extract<PlaybackChange, { kind: 'cleared' }>;

/** A clear: no row from before it, and no report from before it taken in later. Harmless twice. */
async function applyClear(change: Cleared, trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `INSERT INTO playback_clears (user_id, cleared_position) VALUES (?, ?)
     ON CONFLICT (user_id) DO UPDATE SET cleared_position = greatest(playback_clears.cleared_position, excluded.cleared_position)`,
    [change.userId, change.position],
  );
  await trx('playback_positions')
    .where({ user_id: change.userId })
    .where('stream_position', '<', change.position)
    .delete();
}

/**
 * The batch's reports in one upsert: per viewer and video the latest of the batch, never behind
 * the row's own report, never one from before the viewer's last clear. Applied after the batch's
 * clears, it leaves what applying every change in stream order would: a report before a clear
 * is refused by the clear's position, one after it is taken.
 */
async function applyReports(reports: readonly Progressed[], trx: Knex.Transaction): Promise<void> {
  const latest = new Map<string, Progressed>();
  for (const report of reports) {
    const key = `${report.userId} ${report.videoId}`;
    if ((latest.get(key)?.position ?? -1) < report.position) latest.set(key, report);
  }
  if (latest.size === 0) return;
  const rows = [...latest.values()];
  await trx.raw(
    `INSERT INTO playback_positions AS kept (user_id, video_id, position_seconds, duration_seconds, watched_at, stream_position)
     SELECT report.user_id, report.video_id, report.position_seconds, report.duration_seconds, report.watched_at, report.stream_position
       FROM unnest(?::uuid[], ?::uuid[], ?::float8[], ?::float8[], ?::timestamptz[], ?::bigint[])
            AS report (user_id, video_id, position_seconds, duration_seconds, watched_at, stream_position)
      WHERE NOT EXISTS (SELECT 1 FROM playback_clears c WHERE c.user_id = report.user_id AND c.cleared_position > report.stream_position)
      ORDER BY report.user_id, report.video_id
     ON CONFLICT (user_id, video_id) DO UPDATE
        SET position_seconds = excluded.position_seconds, duration_seconds = excluded.duration_seconds,
            watched_at = excluded.watched_at, stream_position = excluded.stream_position
      WHERE kept.stream_position < excluded.stream_position`,
    [
      rows.map((row) => row.userId),
      rows.map((row) => row.videoId),
      rows.map((row) => row.positionSeconds),
      rows.map((row) => row.durationSeconds),
      rows.map((row) => row.time.toISOString()),
      rows.map((row) => row.position),
    ],
  );
}

/**
 * A transaction-scoped lock per viewer, in id order, taken by both parts before they write: a
 * batch that opened a viewer's reports just before their key was erased then either writes before
 * UserErased is applied (which waits, then drops the rows) or after it (and sees the key gone). Per
 * schema, so a rebuild's shadow never waits on live.
 */
async function lockViewers(trx: Knex.Transaction, userIds: Iterable<string>): Promise<void> {
  await lockEachInOrder(trx, { prefix: 'playback:', perSchema: true }, userIds);
}

const playbackProjection: BatchProjection<PlaybackChange> = {
  async prepare(messages, trx) {
    const viewers = messages.map((message) => playbackViewerOf(message.streamName));
    await keysOf(trx).preload(viewers.filter((id): id is string => id !== undefined));
  },
  parse: parsePlayback,
  // The clears, then the reports in one upsert: what stream order would leave (applyReports).
  async apply(changes, trx) {
    const userIds = new Set(changes.map((change) => change.userId));
    await lockViewers(trx, userIds);
    // Parsed (opened) before the lock: a viewer erased since then is passed over.
    const erased = new Set(
      (await erasedUserIds(trx).whereIn('user_id', [...userIds])).map((row: { user_id: string }) =>
        row.user_id.toLowerCase(),
      ),
    );
    const kept = changes.filter((change) => !erased.has(change.userId));
    for (const change of kept) if (change.kind === 'cleared') await applyClear(change, trx);
    await applyReports(
      kept.filter((change): change is Progressed => change.kind === 'progressed'),
      trx,
    );
  },
};

const erasureSchemas = { UserErased: identityEventSchemas.UserErased };

/** A viewer's history is personal data: it goes with the account (docs/personal-data.md). */
const erasuresProjection: BatchProjection<string> = {
  parse: (message) => parseMessage(erasureSchemas, message)?.data.userId.toLowerCase(),
  async apply(userIds, trx) {
    await lockViewers(trx, userIds);
    await trx('playback_positions').whereIn('user_id', userIds).delete();
    await trx('playback_clears').whereIn('user_id', userIds).delete();
  },
};

/**
 * Continue watching: where each logged-in viewer stopped in each video, from their own
 * playback-<userId> streams (the latest report per video, guarded by stream position), without
 * what they cleared and without anything of an erased viewer (identity's UserErased drops their
 * rows; their sealed video ids no longer open, so no replay brings them back).
 */
export const playbackDefinition = {
  name: 'playback',
  tables: ['playback_positions', 'playback_clears'],
  parts: [
    {
      subscriberId: PLAYBACK_SUBSCRIBER_IDS.playback,
      category: PLAYBACK_CATEGORY,
      projection: () => playbackProjection,
    },
    {
      subscriberId: PLAYBACK_SUBSCRIBER_IDS.erasures,
      category: IDENTITY_CATEGORY,
      projection: () => erasuresProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
