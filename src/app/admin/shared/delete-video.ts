import { videoPublishingCommandStreamName, type DeleteVideo } from '../../../contracts/video-publishing.ts';
import { derivedMessageId, type MessageStore } from '../../../message-store/index.ts';

// Fixed: a deletion confirmed twice (a double click, a form posted again) must get the same id.
const DELETE_NAMESPACE = '6f2a8c14-3d9b-4e07-b5a1-c84e19d7f260';

/** The DeleteVideo id for one request to delete a video; the same name, the same command. */
export const deleteCommandId = (name: string): string => derivedMessageId(DELETE_NAMESPACE, name);

/**
 * Asks video-publishing to delete a video, in the admin's name (metadata.userId: the component
 * checks the admin role itself). The same request written again is stored once, so answered once.
 */
export async function sendDeleteVideo(
  messageStore: MessageStore,
  actor: { readonly adminId: string; readonly traceId: string },
  { videoId, commandId }: { videoId: string; commandId: string },
): Promise<void> {
  const command: DeleteVideo = {
    id: commandId,
    type: 'DeleteVideo',
    data: { videoId },
    metadata: { traceId: actor.traceId, userId: actor.adminId },
  };
  await messageStore.write(videoPublishingCommandStreamName(videoId), command);
}
