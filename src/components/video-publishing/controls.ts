import { randomUUID } from 'node:crypto';
import type { Metadata } from '../../message-store/index.ts';
import { uriOfKey, videoKeys } from '../../video-store/index.ts';
import type { DescribeVideo, NameVideo, PublishVideo, TakeDownVideo, UnpublishVideo } from '../../contracts/video-publishing.ts';

// Example commands, for tests here and in the slices that write them; override what the test is about.

/** The metadata every command needs: who asked, and the trace of their request. */
export const commandMetadata = (userId: string, extra: Metadata = {}): Metadata => ({ userId, traceId: randomUUID(), ...extra });

export function publishVideoControl(data: Partial<PublishVideo['data']> = {}, metadata?: Metadata): PublishVideo {
  const videoId = data.videoId ?? randomUUID();
  const ownerId = data.ownerId ?? randomUUID();
  return {
    id: randomUUID(),
    type: 'PublishVideo',
    data: { ownerId, videoId, sourceUri: uriOfKey(videoKeys.source(videoId)), visibility: 'public', ...data },
    metadata: metadata ?? commandMetadata(ownerId),
  };
}

export function nameVideoControl(videoId: string, name: string, userId: string): NameVideo {
  return { id: randomUUID(), type: 'NameVideo', data: { videoId, name }, metadata: commandMetadata(userId) };
}

export function describeVideoControl(videoId: string, description: string, userId: string): DescribeVideo {
  return { id: randomUUID(), type: 'DescribeVideo', data: { videoId, description }, metadata: commandMetadata(userId) };
}

export function unpublishVideoControl(videoId: string, userId: string): UnpublishVideo {
  return { id: randomUUID(), type: 'UnpublishVideo', data: { videoId }, metadata: commandMetadata(userId) };
}

/** As the admin portal sends it: `adminId` must hold the admin role in their identity stream. */
export function takeDownVideoControl(videoId: string, reason: string, adminId: string): TakeDownVideo {
  return { id: randomUUID(), type: 'TakeDownVideo', data: { videoId, reason }, metadata: commandMetadata(adminId) };
}
