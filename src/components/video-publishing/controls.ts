import { randomUUID } from 'node:crypto';
import type { Metadata } from '../../message-store/index.ts';
import { uriOfKey, videoKeys } from '../../video-store/index.ts';
import type {
  ChooseVideoPoster,
  DeleteVideo,
  DescribeVideo,
  NameVideo,
  PublishVideo,
  SetVideoVisibility,
  TakeDownVideo,
  UnpublishVideo,
  UploadVideoPoster,
  Visibility,
} from '../../contracts/video-publishing.ts';

// Example commands, for tests here and in the slices that write them; override what the test is about.

/** The metadata every command needs: who asked, and the trace of their request. */
export const commandMetadata = (userId: string, extra: Metadata = {}): Metadata => ({
  userId,
  traceId: randomUUID(),
  ...extra,
});

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

export function setVideoVisibilityControl(videoId: string, visibility: Visibility, userId: string): SetVideoVisibility {
  return {
    id: randomUUID(),
    type: 'SetVideoVisibility',
    data: { videoId, visibility },
    metadata: commandMetadata(userId),
  };
}

/** By its owner, or an admin (who must hold the role in their identity stream). */
export function deleteVideoControl(videoId: string, userId: string): DeleteVideo {
  return { id: randomUUID(), type: 'DeleteVideo', data: { videoId }, metadata: commandMetadata(userId) };
}

export function chooseVideoPosterControl(videoId: string, candidate: number, userId: string): ChooseVideoPoster {
  return {
    id: randomUUID(),
    type: 'ChooseVideoPoster',
    data: { videoId, candidate },
    metadata: commandMetadata(userId),
  };
}

/** As the portal sends it once it has stored the image at videoKeys.posterUpload(videoId, uploadId). */
export function uploadVideoPosterControl(
  videoId: string,
  userId: string,
  uploadId: string = randomUUID(),
): UploadVideoPoster {
  return {
    id: randomUUID(),
    type: 'UploadVideoPoster',
    data: { videoId, imageUri: uriOfKey(videoKeys.posterUpload(videoId, uploadId)) },
    metadata: commandMetadata(userId),
  };
}
