import { videoPublishingCommandStreamName, type TakeDownVideo } from '../../../contracts/video-publishing.ts';
import { derivedMessageId, type MessageStore } from '../../../message-store/index.ts';

// Fixed: a take-down sent again (a form posted twice, an erasure run again) must get the same id.
const TAKE_DOWN_NAMESPACE = '9d3c1f7e-52a8-4b6e-8c0d-a4e7f2b91c35';

/** The TakeDownVideo id for one request to take a video down; the same name, the same command. */
export const takeDownCommandId = (name: string): string => derivedMessageId(TAKE_DOWN_NAMESPACE, name);

/**
 * Asks video-publishing to take a video down, in the admin's name (metadata.userId, which the
 * component checks against the admin's identity stream). Written with an id from
 * takeDownCommandId: the same request written again is stored once, so it is answered once.
 */
export async function sendTakeDown(
  messageStore: MessageStore,
  actor: { readonly adminId: string; readonly traceId: string },
  { videoId, reason, commandId }: { videoId: string; reason: string; commandId: string },
): Promise<void> {
  const command: TakeDownVideo = {
    id: commandId,
    type: 'TakeDownVideo',
    data: { videoId, reason },
    metadata: { traceId: actor.traceId, userId: actor.adminId },
  };
  await messageStore.write(videoPublishingCommandStreamName(videoId), command);
}
