import { randomUUID } from 'node:crypto';
import type { Message, Metadata, Recorded } from './types.ts';

/**
 * Builds a message caused by `source`: trace, user, correlation and reply stream carry forward,
 * and the causation fields point at `source` (its global position is what "already processed"
 * checks compare against).
 */
export function follow<Type extends string, Data>(
  source: Recorded<Message<string, unknown>>,
  type: Type,
  data: Data,
  extra: Partial<Metadata> = {},
  id: string = randomUUID(),
): Message<Type, Data> {
  const carried: Metadata = {
    ...(source.metadata.traceId !== undefined && { traceId: source.metadata.traceId }),
    ...(source.metadata.userId !== undefined && { userId: source.metadata.userId }),
    ...(source.metadata.correlationStreamName !== undefined && {
      correlationStreamName: source.metadata.correlationStreamName,
    }),
    ...(source.metadata.replyStreamName !== undefined && { replyStreamName: source.metadata.replyStreamName }),
  };
  return {
    id,
    type,
    data,
    metadata: {
      ...carried,
      causationMessageStreamName: source.streamName,
      causationMessagePosition: source.position,
      causationMessageGlobalPosition: source.globalPosition,
      ...extra,
    },
  };
}
