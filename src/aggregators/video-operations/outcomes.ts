import { videoPublishingEventSchemas, type VideoPublishingEvent } from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { firstPerOperation, traceOf, type OperationKind, type OperationRow } from './operation.ts';

const OUTCOMES = {
  VideoPublished: 'publish',
  VideoPublishingFailed: 'publish',
  VideoPublishingRejected: 'publish',
  VideoNamed: 'name',
  VideoNameRejected: 'name',
  VideoDescribed: 'describe',
  VideoDescriptionRejected: 'describe',
  VideoUnpublished: 'unpublish',
  VideoUnpublishRejected: 'unpublish',
  VideoVisibilityChanged: 'visibility',
  VideoVisibilityRejected: 'visibility',
  VideoDeleted: 'delete',
  VideoDeleteRejected: 'delete',
  VideoPosterChanged: 'poster',
  VideoPosterRejected: 'poster',
} as const satisfies Partial<Record<VideoPublishingEvent['type'], OperationKind>>;

type OutcomeType = keyof typeof OUTCOMES;
type Outcome = Recorded<Extract<VideoPublishingEvent, { type: OutcomeType }>>;
// Acceptance and progress are steps, not outcomes: the operation stays pending through them.
const outcomeSchemas = Object.fromEntries(
  Object.keys(OUTCOMES).map((type) => [type, videoPublishingEventSchemas[type as OutcomeType]]),
) as Pick<typeof videoPublishingEventSchemas, OutcomeType>;

function reasonOf(outcome: Outcome): string | null {
  return 'reason' in outcome.data ? outcome.data.reason : null;
}

/**
 * An outcome's operation, done or failed. The component writes every answer with follow(), so
 * it carries its command's trace; an event with no trace answers no creator's action and is
 * passed over.
 */
function parseOutcome(message: RawMessage): OperationRow | undefined {
  if (!Object.hasOwn(outcomeSchemas, message.type) || message.metadata.traceId === undefined) return undefined;
  const outcome = parseMessage(outcomeSchemas, message);
  if (!outcome) return undefined;
  const { traceId, userId } = traceOf(outcome);
  const reason = reasonOf(outcome);
  return {
    trace_id: traceId,
    video_id: outcome.data.videoId,
    user_id: userId,
    kind: OUTCOMES[outcome.type],
    status: reason === null ? 'done' : 'failed',
    reason,
    updated_at: outcome.time,
  };
}

/**
 * The outcome side of video_operations: one upsert per batch. It makes the row if the
 * command's subscriber has not yet (the outcome names the same video, sender and kind), and
 * settles only a pending one: an operation is decided once, so neither a replay nor a second
 * answer on the same trace changes it.
 */
export const outcomesProjection: BatchProjection<OperationRow> = {
  parse: parseOutcome,
  async apply(rows, trx) {
    await trx('video_operations')
      .insert(firstPerOperation(rows))
      .onConflict(['trace_id', 'kind'])
      .merge(['status', 'reason', 'updated_at'])
      .where('video_operations.status', 'pending');
  },
};
