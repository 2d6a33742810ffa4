import type { Knex } from 'knex';
import { videoPublishingEventSchemas, videoPublishingStreamName, type VideoPublishingEvent } from '../../contracts/video-publishing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

const CATALOG_EVENTS = ['VideoPublished', 'VideoNamed', 'VideoDescribed', 'VideoUnpublished', 'VideoTakenDown'] as const;
export type CatalogEvent = Recorded<Extract<VideoPublishingEvent, { type: (typeof CATALOG_EVENTS)[number] }>>;
// Only these are checked against the contract: a broken event of another type is none of ours to skip.
const catalogSchemas = Object.fromEntries(CATALOG_EVENTS.map((type) => [type, videoPublishingEventSchemas[type]])) as Pick<
  typeof videoPublishingEventSchemas,
  (typeof CATALOG_EVENTS)[number]
>;

/** The columns of `videos` that publishing events own; views and views_position are never among them. */
interface CatalogColumns {
  owner_id?: string;
  name?: string;
  description?: string;
  /** Only 'published' is in the catalog; the watch page tells a taken-down video from a missing one. */
  status?: 'published' | 'unpublished' | 'takenDown';
  transcoded_uri?: string;
  poster_uri?: string;
  duration_seconds?: number;
  width?: number;
  height?: number;
  published_at?: Date;
}

function columnsOf(event: CatalogEvent): CatalogColumns {
  switch (event.type) {
    case 'VideoPublished': {
      const { ownerId, transcodedUri, posterUri, durationSeconds, width, height } = event.data;
      return {
        owner_id: ownerId,
        status: 'published',
        transcoded_uri: transcodedUri,
        poster_uri: posterUri,
        duration_seconds: durationSeconds,
        width,
        height,
        published_at: event.time,
      };
    }
    case 'VideoNamed':
      return { name: event.data.name };
    case 'VideoDescribed':
      return { description: event.data.description };
    case 'VideoUnpublished':
      return { status: 'unpublished' };
    case 'VideoTakenDown':
      return { status: 'takenDown' };
    default: {
      const unexpected: never = event;
      throw new Error(`no catalog change for ${(unexpected as { type: string }).type}`);
    }
  }
}

/**
 * The row guard compares global positions of one video's events, which grow only along one
 * stream: an event filed under another video's stream would compare positions of two streams.
 */
function parseCatalogEvent(message: RawMessage): CatalogEvent | undefined {
  const event = parseMessage(catalogSchemas, message);
  if (event && event.streamName !== videoPublishingStreamName(event.data.videoId)) {
    throw new MessageDataError(event.id, event.type, `written to ${event.streamName}, not its video's stream`);
  }
  return event;
}

interface VideoChange {
  readonly videoId: string;
  readonly columns: CatalogColumns;
  /** The global position of the video's last event in the batch. */
  readonly position: number;
}

/** Each video's events of the batch, in stream order, folded into the columns they leave behind; in video id order. */
function foldByVideo(events: readonly CatalogEvent[]): VideoChange[] {
  const changes = new Map<string, VideoChange>();
  for (const event of events) {
    const videoId = event.data.videoId.toLowerCase();
    const earlier = changes.get(videoId)?.columns ?? {};
    changes.set(videoId, { videoId, columns: { ...earlier, ...columnsOf(event) }, position: event.globalPosition });
  }
  return [...changes.values()].sort((a, b) => (a.videoId < b.videoId ? -1 : a.videoId > b.videoId ? 1 : 0));
}

/**
 * The catalog side of `videos`: one upsert per video per batch. Only the columns publishing
 * owns are written, so a row the views subscriber made first keeps its count. The row's
 * publishing_position is the guard: a fold whose last event the row has already seen changes
 * nothing. If the row has seen only some of the fold's events (a replay cut into other
 * batches), writing the whole fold is still right: each column takes its value after the
 * fold's last event, which is what the row would reach anyway.
 */
export const catalogProjection: BatchProjection<CatalogEvent> = {
  parse: parseCatalogEvent,
  async apply(events, trx: Knex.Transaction) {
    // In video id order, as the views subscriber locks them, so the two never deadlock.
    for (const { videoId, columns, position } of foldByVideo(events)) {
      await trx('videos')
        .insert({ video_id: videoId, ...columns, publishing_position: position })
        .onConflict('video_id')
        .merge([...Object.keys(columns), 'publishing_position'])
        .where((guard) => {
          guard.whereNull('videos.publishing_position').orWhere('videos.publishing_position', '<', trx.ref('excluded.publishing_position'));
        });
    }
  },
};
