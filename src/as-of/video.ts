import { viewingSchemas, viewingStreamName } from '../contracts/viewing.ts';
import { videoPublishingEventSchemas, videoPublishingStreamName } from '../contracts/video-publishing.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { applyCountingRule, type CountableViewing } from '../aggregators/viewing-counts/rule.ts';
import { parseMessage } from '../contracts/parse.ts';
import { type RawMessage } from '../message-store/index.ts';
import { foldReadable, utc, type EntityKind, type EntityState } from './entity.ts';

interface Video {
  readonly status: string;
  readonly visibility: string;
  readonly ownerId: string | undefined;
  readonly uploadedAt: Date | undefined;
  readonly progress: number;
  readonly name: string | undefined;
  readonly description: string;
  readonly publishedAt: Date | undefined;
  readonly duration: number | undefined;
  readonly size: string | undefined;
  readonly lastRejection: string | undefined;
  readonly poster: string | undefined;
  /** Viewings recorded, by where they came from (version 1 viewings read as 'unknown'). */
  readonly views: Readonly<Record<string, number>>;
  /** Every viewing, in order, for the counting rule. */
  readonly viewings: readonly CountableViewing[];
}

const initial: Video = {
  status: 'not uploaded',
  // Before uploads chose one, every video went public once converted.
  visibility: 'public',
  ownerId: undefined,
  uploadedAt: undefined,
  progress: 0,
  name: undefined,
  description: '',
  publishedAt: undefined,
  duration: undefined,
  size: undefined,
  lastRejection: undefined,
  poster: undefined,
  views: {},
  viewings: [],
};

function apply(video: Video, message: RawMessage): Video {
  const viewing = parseMessage(viewingSchemas, message);
  if (viewing) {
    return {
      ...video,
      views: { ...video.views, [viewing.data.source]: (video.views[viewing.data.source] ?? 0) + 1 },
      viewings: [
        ...video.viewings,
        { videoId: viewing.data.videoId, visitorKey: viewing.data.visitorKey, time: viewing.time },
      ],
    };
  }
  const event = parseMessage(videoPublishingEventSchemas, message);
  switch (event?.type) {
    case 'VideoPublishingAccepted':
      return {
        ...video,
        status: 'uploaded',
        visibility: event.data.visibility,
        ownerId: event.data.ownerId,
        uploadedAt: event.time,
      };
    case 'VideoTranscodingStarted':
      return { ...video, status: 'transcoding' };
    case 'VideoTranscodingProgressed':
      return { ...video, progress: event.data.percent };
    case 'VideoPublished':
      return {
        ...video,
        status: 'published',
        progress: 100,
        publishedAt: event.time,
        duration: event.data.durationSeconds,
        size: `${event.data.width}×${event.data.height}`,
        poster: event.data.posterUri,
      };
    // As the component folds it: a refused PublishVideo (forged, another upload's file, a deleted
    // video posted again) leaves a video that was accepted as it was, owner included. Before any
    // acceptance, it is all there is to say of the video.
    case 'VideoPublishingRejected':
      return video.status === initial.status
        ? { ...video, status: `rejected: ${event.data.reason}`, ownerId: video.ownerId ?? event.data.ownerId }
        : { ...video, lastRejection: `${event.type}: ${event.data.reason}` };
    case 'VideoPosterChanged':
      return { ...video, poster: event.data.posterUri };
    case 'VideoPublishingFailed':
      return { ...video, status: `failed: ${event.data.reason}` };
    case 'VideoNamed':
      return { ...video, name: event.data.name };
    case 'VideoDescribed':
      return { ...video, description: event.data.description };
    case 'VideoUnpublished':
      return { ...video, visibility: 'draft' };
    case 'VideoVisibilityChanged':
      return { ...video, visibility: event.data.visibility };
    case 'VideoTakenDown':
      return { ...video, status: `taken down: ${event.data.reason}` };
    case 'VideoDeleted':
      return { ...video, status: 'deleted' };
    case 'VideoNameRejected':
    case 'VideoDescriptionRejected':
    case 'VideoUnpublishRejected':
    case 'VideoTakeDownRejected':
    case 'VideoVisibilityRejected':
    case 'VideoDeleteRejected':
    case 'VideoPosterRejected':
      return { ...video, lastRejection: `${event.type}: ${event.data.reason}` };
    case undefined:
      return video;
  }
}

function viewsLabel(views: Readonly<Record<string, number>>): string {
  const total = Object.values(views).reduce((sum, count) => sum + count, 0);
  const sources = Object.entries(views)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([source, count]) => `${source} ${count}`);
  return total === 0 ? '0' : `${total} (${sources.join(', ')})`;
}

/** A video as videoPublishing-<id> tells it, with its viewings from viewing-<id>. */
export const videoKind: EntityKind = {
  kind: 'video',
  label: 'Video',
  streams: (id) => [videoPublishingStreamName(id), viewingStreamName(id)],
  fold(messages, { viewingCountWindowMs } = { viewingCountWindowMs: DEFAULTS.viewingCountWindowMs }): EntityState {
    const { state: video, unreadable } = foldReadable(initial, apply, messages);
    // As the site's counts take them: one per visitor per window (docs/viewings.md).
    const counted = applyCountingRule(video.viewings, new Map(), viewingCountWindowMs).counted.filter(Boolean).length;
    return {
      exists: messages.length > 0,
      unreadable,
      fields: [
        { label: 'Status', value: video.status },
        { label: 'Visibility', value: video.visibility },
        { label: 'Owner', value: video.ownerId ?? '—' },
        { label: 'Uploaded', value: video.uploadedAt ? utc(video.uploadedAt) : '—' },
        { label: 'Transcoded', value: `${video.progress}%` },
        { label: 'Name', value: video.name ?? '(untitled)' },
        { label: 'Description', value: video.description || '—' },
        { label: 'Published', value: video.publishedAt ? utc(video.publishedAt) : '—' },
        { label: 'Duration', value: video.duration === undefined ? '—' : `${video.duration} s` },
        { label: 'Size', value: video.size ?? '—' },
        { label: 'Poster', value: video.poster ?? '—' },
        { label: 'Last rejected change', value: video.lastRejection ?? '—' },
        { label: 'Viewings recorded', value: viewsLabel(video.views) },
        { label: 'Viewings counted', value: String(counted) },
      ],
    };
  },
};
