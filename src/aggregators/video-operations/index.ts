import type { Knex } from 'knex';
import { VIDEO_PUBLISHING_CATEGORY, VIDEO_PUBLISHING_COMMAND_CATEGORY } from '../../contracts/video-publishing.ts';
import type { Logger } from '../../logger.ts';
import type { ConsumerGroup, MessageStore } from '../../message-store/index.ts';
import { createAggregatorProcessor, type BatchProjection } from '../../subscription/aggregator-processor.ts';
import { createSubscription, type Subscription, type SubscriptionOptions } from '../../subscription/subscription.ts';
import { commandsProjection } from './commands.ts';
import { outcomesProjection } from './outcomes.ts';

export type { OperationKind, OperationRow, OperationStatus } from './operation.ts';

/** Renaming one replays its category: safe (pending never overwrites, an outcome settles once) but slow. */
export const VIDEO_OPERATIONS_SUBSCRIBER_IDS = {
  outcomes: 'aggregators:video-operations',
  commands: 'aggregators:video-operations:commands',
} as const;

export interface VideoOperationsAggregatorDeps {
  readonly db: Knex;
  readonly messageStore: MessageStore;
  readonly logger: Logger;
  readonly consumerGroup?: ConsumerGroup;
  /** Called after each commit that moved the projection, e.g. to refresh a cached page. */
  readonly onApplied?: () => void;
  readonly subscription?: Partial<Pick<SubscriptionOptions, 'batchSize' | 'pollIntervalMs' | 'retry'>>;
}

/**
 * Keeps video_operations, one row per creator action (found by the trace id its command
 * carries): pending from the command, then done or failed from the component's answer. The
 * command and its answer are in two categories, read by two subscribers that may be in any
 * order relative to each other, so either may make the row.
 */
export function createVideoOperationsAggregator({ db, messageStore, logger, consumerGroup, onApplied, subscription }: VideoOperationsAggregatorDeps) {
  function subscribe<T>(subscriberId: string, category: string, projection: BatchProjection<T>): Subscription {
    const processor = createAggregatorProcessor({
      db,
      subscriberId,
      projection,
      ...(consumerGroup && { consumerGroup }),
      ...(onApplied && { onApplied }),
    });
    return createSubscription({ messageStore, logger, subscriberId, category, processor, ...(consumerGroup && { consumerGroup }), ...subscription });
  }

  const commands = subscribe(VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands, VIDEO_PUBLISHING_COMMAND_CATEGORY, commandsProjection);
  const outcomes = subscribe(VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes, VIDEO_PUBLISHING_CATEGORY, outcomesProjection);
  return {
    projections: { commands: commandsProjection, outcomes: outcomesProjection },
    /** The commands' subscriber, then the outcomes'. */
    subscriptions: [commands, outcomes] as const,
  };
}
