import type { Knex } from 'knex';
import { VIDEO_PUBLISHING_CATEGORY } from '../../contracts/video-publishing.ts';
import type { Logger } from '../../logger.ts';
import type { ConsumerGroup, MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { foldByVideo, parseCreatorEvent, type CreatorEvent, type VideoChange } from './changes.ts';

export const CREATORS_VIDEOS_SUBSCRIBER_ID = 'aggregators:creators-videos';
export type { CreatorVideoStatus } from './changes.ts';

export interface CreatorsVideosAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** Called after each commit that moved the projection, e.g. to refresh a cached page. */
  readonly onApplied?: () => void;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/** Applies what the row has not seen yet: its last_position is below the change's. */
function unseen(trx: Knex.Transaction) {
  return (guard: Knex.QueryBuilder) =>
    guard.whereNull('creators_videos.last_position').orWhere('creators_videos.last_position', '<', trx.ref('excluded.last_position'));
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
    .andWhere((guard) => guard.whereNull('last_position').orWhere('last_position', '<', position))
    .update({ ...columns, last_position: position });
}

/**
 * Keeps creators_videos (each creator's own list: status, progress, failure reason, poster,
 * name) from the video-publishing events, one statement per video per batch. A video's events
 * share one stream, so they arrive in order, acceptance first; every write is still guarded by
 * the row's last_position, so a replay over existing rows changes nothing (see the videos
 * catalog for why writing a whole fold over a row that saw part of it is right).
 */
export function createCreatorsVideosAggregator({ db, messageStore, logger, consumerGroup, onApplied, subscription }: CreatorsVideosAggregatorDeps) {
  const projection: BatchProjection<CreatorEvent> = {
    parse: parseCreatorEvent,
    async apply(events, trx) {
      for (const change of foldByVideo(events)) await applyChange(change, trx);
    },
  };

  const processor = createAggregatorProcessor({
    db,
    subscriberId: CREATORS_VIDEOS_SUBSCRIBER_ID,
    projection,
    ...(consumerGroup && { consumerGroup }),
    ...(onApplied && { onApplied }),
  });
  return {
    projection,
    subscription: createSubscription({
      messageStore,
      logger,
      subscriberId: CREATORS_VIDEOS_SUBSCRIBER_ID,
      category: VIDEO_PUBLISHING_CATEGORY,
      processor,
      ...(consumerGroup && { consumerGroup }),
      ...subscription,
    }),
  };
}
