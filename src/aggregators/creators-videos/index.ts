import type { Knex } from 'knex';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { BatchProjection } from '../../subscription/projection-batch.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { foldByVideo, parseCreatorEvent, type CreatorEvent, type VideoChange } from './changes.ts';

export const CREATORS_VIDEOS_SUBSCRIBER_ID = 'aggregators:creators-videos';
export type { CreatorVideoStatus } from './changes.ts';

/**
 * Applies what the row has not seen yet (its last_position is below the change's), and never
 * to a deleted video's tombstone: an event after the deletion (a transcode that ends later) or
 * one of its old events applied again must not bring the row back.
 */
function unseen(trx: Knex.Transaction) {
  return (guard: Knex.QueryBuilder): void => {
    guard
      .where((seen) => {
        seen
          .whereNull('creators_videos.last_position')
          .orWhere('creators_videos.last_position', '<', trx.ref('excluded.last_position'));
      })
      .andWhere('creators_videos.status', '<>', 'deleted');
  };
}

async function applyChange({ videoId, columns, position }: VideoChange, trx: Knex.Transaction): Promise<void> {
  // Acceptance makes the row (it alone names the owner); the video's later events update it.
  if (columns.owner_id !== undefined && columns.uploaded_at !== undefined) {
    await trx('creators_videos')
      .insert({ video_id: videoId, ...columns, last_position: position })
      .onConflict('video_id')
      .merge([...Object.keys(columns), 'last_position'])
      .where(unseen(trx));
    return;
  }
  await trx('creators_videos')
    .where({ video_id: videoId })
    .andWhere((guard) => {
      guard.whereNull('last_position').orWhere('last_position', '<', position);
    })
    .andWhere('status', '<>', 'deleted')
    .update({ ...columns, last_position: position });
}

const creatorsVideosProjection: BatchProjection<CreatorEvent> = {
  parse: parseCreatorEvent,
  async apply(events, trx) {
    for (const change of foldByVideo(events)) await applyChange(change, trx);
  },
};

/**
 * Keeps creators_videos (each creator's own list: status, visibility, progress, failure reason
 * and time, poster and the frames to pick another from, name) from the video-publishing events, one statement per video per batch. A video's events
 * share one stream, so they arrive in order, acceptance first; every write is still guarded by
 * the row's last_position, so a replay over existing rows changes nothing (see the videos
 * catalog for why writing a whole fold over a row that saw part of it is right). A deleted
 * video stays as a tombstone (status 'deleted', its text and poster cleared) that nothing changes.
 */
export const creatorsVideosDefinition = {
  name: 'creators-videos',
  tables: ['creators_videos'],
  parts: [
    {
      subscriberId: CREATORS_VIDEOS_SUBSCRIBER_ID,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => creatorsVideosProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
