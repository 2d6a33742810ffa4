import { videoPublishingCommandSchemas, type VideoPublishingCommand } from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { type RawMessage } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';
import { firstPerOperation, traceOf, type OperationKind, type OperationRow } from './operation.ts';

// A take-down is an admin's action, recorded in adminActions-<adminId>, not a creator's operation.
type CreatorCommand = Exclude<VideoPublishingCommand['type'], 'TakeDownVideo'>;

const KINDS: Record<CreatorCommand, OperationKind> = {
  PublishVideo: 'publish',
  NameVideo: 'name',
  DescribeVideo: 'describe',
  UnpublishVideo: 'unpublish',
  SetVideoVisibility: 'visibility',
  DeleteVideo: 'delete',
  ChooseVideoPoster: 'poster',
  UploadVideoPoster: 'poster',
};

/** A command's operation, pending. The component parks a command without a trace or sender; here it is skipped and recorded. */
function parseCommand(message: RawMessage): OperationRow | undefined {
  const command = parseMessage(videoPublishingCommandSchemas, message);
  if (!command || command.type === 'TakeDownVideo') return undefined;
  const { traceId, userId } = traceOf(command);
  return {
    trace_id: traceId,
    video_id: command.data.videoId,
    user_id: userId,
    kind: KINDS[command.type],
    status: 'pending',
    reason: null,
    updated_at: command.time,
  };
}

/**
 * The command side of video_operations: one insert per batch that never overwrites. An
 * outcome may have made the row first (it comes on another category, read by another
 * subscriber), and a 'pending' arriving late must not hide it.
 */
export const commandsProjection: BatchProjection<OperationRow> = {
  parse: parseCommand,
  async apply(rows, trx) {
    await trx('video_operations').insert(firstPerOperation(rows)).onConflict(['trace_id', 'kind']).ignore();
  },
};
