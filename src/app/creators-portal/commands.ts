import { randomUUID } from 'node:crypto';
import { videoPublishingCommandStreamName, type VideoPublishingCommand } from '../../contracts/video-publishing.ts';
import type { MessageStore } from '../../message-store/index.ts';

type CommandType = VideoPublishingCommand['type'];
type CommandOf<T extends CommandType> = Extract<VideoPublishingCommand, { type: T }>;

/** Who asks and which user action it belongs to: the component decides ownership on userId. */
export interface Sender {
  readonly traceId: string;
  readonly userId: string;
}

/** Writes the portal's commands to the video's command stream, where video-publishing answers them in order. */
export function createCommandSender(messageStore: MessageStore, newId: () => string = randomUUID) {
  return async function send<T extends CommandType>(
    sender: Sender,
    type: T,
    data: CommandOf<T>['data'],
  ): Promise<void> {
    // TypeScript cannot narrow a generic union member from its parts; the signature keeps type and data in step.
    const command = {
      id: newId(),
      type,
      data,
      metadata: { traceId: sender.traceId, userId: sender.userId },
    } as CommandOf<T>;
    await messageStore.write(videoPublishingCommandStreamName(data.videoId), command);
  };
}
