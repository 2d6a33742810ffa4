import { viewingSchemas, viewingStreamName, type ViewingEvent } from '../../contracts/viewing.ts';
import { parseMessage } from '../../contracts/parse.ts';
import { MessageDataError, type RawMessage, type Recorded } from '../../message-store/index.ts';

export type Viewing = Recorded<ViewingEvent>;

/**
 * A viewing checked against its contract and its stream: a guard by position per video compares
 * positions along one stream, so a viewing must be in its video's (videos/views.ts, popular-videos).
 */
export function parseViewingInItsStream(message: RawMessage): Viewing | undefined {
  const viewing = parseMessage(viewingSchemas, message);
  if (viewing && viewing.streamName !== viewingStreamName(viewing.data.videoId)) {
    throw new MessageDataError(viewing.id, viewing.type, `written to ${viewing.streamName}, not its video's stream`);
  }
  return viewing;
}
