import { z } from 'zod';
import { MessageDataError, streamName, type MessagesOf, type RawMessage } from '../message-store/index.ts';
import { isVideoStoreUri } from '../video-store/keys.ts';
import { TEXT_REJECTIONS } from './video-publishing-text-rules.ts';

export {
  descriptionProblem,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TAKE_DOWN_REASON_LENGTH,
  nameProblem,
  tidyText,
} from './video-publishing-text-rules.ts';

export const VIDEO_PUBLISHING_CATEGORY = 'videoPublishing';
export const VIDEO_PUBLISHING_COMMAND_CATEGORY = 'videoPublishing:command';

// Far past what the rules allow: text this long is a sender's bug and is parked, not answered
// (a rejection repeats the text, and an event should not carry megabytes).
const MAX_NAME_FIELD = 10_000;
const MAX_DESCRIPTION_FIELD = 100_000;
const MAX_TAKE_DOWN_REASON_FIELD = 10_000;

const videoStoreUri = z.string().refine(isVideoStoreUri, 'not a video store URI');

/**
 * Who may see a video once it is converted. draft: its creator (and admins) only. unlisted:
 * anyone with its link, never listed. public: listed in the catalog, channel page and search.
 */
export const VISIBILITIES = ['draft', 'unlisted', 'public'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const isVisibility = (value: string): value is Visibility => (VISIBILITIES as readonly string[]).includes(value);
/**
 * A PublishVideo or VideoPublishingAccepted written before visibility existed went public on
 * conversion, as this default keeps reading it.
 */
const visibilityOnUpload = z.enum(VISIBILITIES).default('public');
/** How many frames a transcode offers the creator as a poster (VideoPublished.posterCandidateUris). */
export const POSTER_CANDIDATES = 5;
/** The largest poster image UploadVideoPoster takes; the portal refuses larger uploads before storing them. */
export const MAX_POSTER_IMAGE_BYTES = 5 * 1024 * 1024;

export const videoPublishingCommandSchemas = {
  PublishVideo: z.object({
    ownerId: z.uuid(),
    videoId: z.uuid(),
    sourceUri: videoStoreUri,
    visibility: visibilityOnUpload,
  }),
  NameVideo: z.object({ videoId: z.uuid(), name: z.string().max(MAX_NAME_FIELD) }),
  DescribeVideo: z.object({ videoId: z.uuid(), description: z.string().max(MAX_DESCRIPTION_FIELD) }),
  /** Kept for its writers (account deletion) and the log: it now means "make it a draft". */
  UnpublishVideo: z.object({ videoId: z.uuid() }),
  SetVideoVisibility: z.object({ videoId: z.uuid(), visibility: z.enum(VISIBILITIES) }),
  /** The owner's, or an admin's. Final: the files are removed, the viewings stay in the log. */
  DeleteVideo: z.object({ videoId: z.uuid() }),
  /** One of the frames the transcode offered (VideoPublished.posterCandidateUris), by index. */
  ChooseVideoPoster: z.object({
    videoId: z.uuid(),
    candidate: z
      .number()
      .int()
      .min(0)
      .max(POSTER_CANDIDATES - 1),
  }),
  /** An image the creator uploaded (stored by the portal at videoKeys.posterUpload): decoded and re-encoded before it is used. */
  UploadVideoPoster: z.object({ videoId: z.uuid(), imageUri: videoStoreUri }),
  /** An admin's: the video leaves the site for good, whoever owns it. `reason` is shown to its owner. */
  TakeDownVideo: z.object({ videoId: z.uuid(), reason: z.string().max(MAX_TAKE_DOWN_REASON_FIELD) }),
} as const;

export const videoPublishingEventSchemas = {
  /** The video exists from here on, owned by ownerId; transcoding waits its turn. */
  VideoPublishingAccepted: z.object({
    ownerId: z.uuid(),
    videoId: z.uuid(),
    sourceUri: videoStoreUri,
    visibility: visibilityOnUpload,
  }),
  /** A PublishVideo in someone else's name or for another video's upload: the command as sent, and why not. Changes nothing. */
  VideoPublishingRejected: z.object({
    ownerId: z.uuid(),
    videoId: z.uuid(),
    sourceUri: videoStoreUri,
    reason: z.string(),
  }),
  VideoTranscodingStarted: z.object({ videoId: z.uuid() }),
  VideoTranscodingProgressed: z.object({ videoId: z.uuid(), percent: z.number().int().min(0).max(100) }),
  VideoPublished: z.object({
    ownerId: z.uuid(),
    videoId: z.uuid(),
    sourceUri: videoStoreUri,
    transcodedUri: videoStoreUri,
    posterUri: videoStoreUri,
    durationSeconds: z.number().nonnegative(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Frames spread over the video, for the creator to pick another poster from; none before posters could be picked. */
    posterCandidateUris: z.array(videoStoreUri).max(POSTER_CANDIDATES).default([]),
  }),
  VideoPublishingFailed: z.object({ ownerId: z.uuid(), videoId: z.uuid(), reason: z.string() }),
  VideoNamed: z.object({ videoId: z.uuid(), name: z.string() }),
  VideoNameRejected: z.object({ videoId: z.uuid(), name: z.string(), reason: z.string() }),
  VideoDescribed: z.object({ videoId: z.uuid(), description: z.string() }),
  VideoDescriptionRejected: z.object({ videoId: z.uuid(), description: z.string(), reason: z.string() }),
  /** Read as a change of visibility to draft: the video can be made public again. */
  VideoUnpublished: z.object({ videoId: z.uuid() }),
  VideoUnpublishRejected: z.object({ videoId: z.uuid(), reason: z.string() }),
  VideoVisibilityChanged: z.object({ videoId: z.uuid(), visibility: z.enum(VISIBILITIES) }),
  VideoVisibilityRejected: z.object({ videoId: z.uuid(), visibility: z.enum(VISIBILITIES), reason: z.string() }),
  /** Final: the video is gone from every listing and its files from the store. metadata.userId: the owner, an admin, or absent for the component's own clean-up of failed uploads. */
  VideoDeleted: z.object({ videoId: z.uuid(), ownerId: z.uuid() }),
  VideoDeleteRejected: z.object({ videoId: z.uuid(), reason: z.string() }),
  /** The poster from here on: a chosen candidate, or an uploaded image as re-encoded by the component. */
  VideoPosterChanged: z.object({ videoId: z.uuid(), posterUri: videoStoreUri }),
  VideoPosterRejected: z.object({ videoId: z.uuid(), reason: z.string() }),
  /** Final: out of the catalog, never (again) published. `reason` is the admin's, as stored (trimmed). */
  VideoTakenDown: z.object({ videoId: z.uuid(), reason: z.string() }),
  /** `reason`: why the take-down was refused. */
  VideoTakeDownRejected: z.object({ videoId: z.uuid(), reason: z.string() }),
} as const;

export type VideoPublishingCommand = MessagesOf<typeof videoPublishingCommandSchemas>;
export type VideoPublishingEvent = MessagesOf<typeof videoPublishingEventSchemas>;
export type PublishVideo = Extract<VideoPublishingCommand, { type: 'PublishVideo' }>;
export type NameVideo = Extract<VideoPublishingCommand, { type: 'NameVideo' }>;
export type DescribeVideo = Extract<VideoPublishingCommand, { type: 'DescribeVideo' }>;
export type UnpublishVideo = Extract<VideoPublishingCommand, { type: 'UnpublishVideo' }>;
export type TakeDownVideo = Extract<VideoPublishingCommand, { type: 'TakeDownVideo' }>;
export type SetVideoVisibility = Extract<VideoPublishingCommand, { type: 'SetVideoVisibility' }>;
export type DeleteVideo = Extract<VideoPublishingCommand, { type: 'DeleteVideo' }>;
export type ChooseVideoPoster = Extract<VideoPublishingCommand, { type: 'ChooseVideoPoster' }>;
export type UploadVideoPoster = Extract<VideoPublishingCommand, { type: 'UploadVideoPoster' }>;

/** Why a command was turned down, as the creator is shown it. */
export const REJECTION_REASONS = {
  unknownVideo: 'there is no such video',
  notOwner: 'only the video’s owner can change it',
  publishForSomeoneElse: 'a video can be published only by its owner, in their own name',
  publishOtherUpload: 'a video can be published only from its own upload',
  ownerErased: 'the account was erased',
  ...TEXT_REJECTIONS,
  notPublished: 'the video is not published',
  notAdmin: 'only an admin can take a video down',
  alreadyTakenDown: 'the video is already taken down',
  deleted: 'the video was deleted',
  sameVisibility: 'the video already has that visibility',
  notConverted: 'the video has not been converted',
  noSuchPoster: 'there is no such frame to choose',
  unreadableImage: 'the image could not be read: upload a JPEG, PNG or WebP picture of at most 5 MB',
  takenDown: 'the video was taken down',
  failedVideo: 'the video could not be converted',
  posterOtherUpload: 'a poster can be made only from an image uploaded for this video',
} as const;

const commandMetadata = z.object({ userId: z.uuid(), traceId: z.string().min(1) });

/**
 * Who sent a command, from its metadata. Ownership is decided on it, so a command without
 * one breaks the contract (MessageDataError: parked), as does a command filed under another
 * video's stream, which would escape the per-video ordering the handlers rely on.
 */
export function requesterOf(command: RawMessage & { readonly data: { readonly videoId: string } }): string {
  const parsed = commandMetadata.safeParse(command.metadata);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `metadata.${issue.path.join('.')}: ${issue.message}`)
      .join('; ');
    throw new MessageDataError(command.id, command.type, problems);
  }
  if (command.streamName !== videoPublishingCommandStreamName(command.data.videoId)) {
    throw new MessageDataError(
      command.id,
      command.type,
      `written to ${command.streamName}, not its video's command stream`,
    );
  }
  return parsed.data.userId;
}

/** Where the creators portal writes commands: one stream per video, so they are handled in order. */
export const videoPublishingCommandStreamName = (videoId: string): string =>
  streamName(VIDEO_PUBLISHING_COMMAND_CATEGORY, videoId);
export const videoPublishingStreamName = (videoId: string): string => streamName(VIDEO_PUBLISHING_CATEGORY, videoId);
