import { VIDEO_PUBLISHING_CATEGORY, VIDEO_PUBLISHING_COMMAND_CATEGORY } from '../../contracts/video-publishing.ts';
import type { ProjectionDefinition } from '../definition.ts';
import { commandsProjection } from './commands.ts';
import { outcomesProjection } from './outcomes.ts';

export type { OperationKind, OperationRow, OperationStatus } from './operation.ts';

/** Renaming one replays its category: safe (pending never overwrites, an outcome settles once) but slow. */
export const VIDEO_OPERATIONS_SUBSCRIBER_IDS = {
  outcomes: 'aggregators:video-operations',
  commands: 'aggregators:video-operations:commands',
} as const;

/**
 * Keeps video_operations, one row per creator action and command kind (found by the trace id
 * its commands carry; an upload with a title sends PublishVideo and NameVideo on one trace):
 * pending from the command, then done or failed from the component's answer. The
 * command and its answer are in two categories, read by two subscribers that may be in any
 * order relative to each other, so either may make the row.
 */
export const videoOperationsDefinition = {
  name: 'video-operations',
  tables: ['video_operations'],
  // The commands' subscriber, then the outcomes'.
  parts: [
    {
      subscriberId: VIDEO_OPERATIONS_SUBSCRIBER_IDS.commands,
      category: VIDEO_PUBLISHING_COMMAND_CATEGORY,
      projection: () => commandsProjection,
    },
    {
      subscriberId: VIDEO_OPERATIONS_SUBSCRIBER_IDS.outcomes,
      category: VIDEO_PUBLISHING_CATEGORY,
      projection: () => outcomesProjection,
    },
  ],
} as const satisfies ProjectionDefinition;
