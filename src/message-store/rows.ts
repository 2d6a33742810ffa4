import type { Metadata, RawMessage } from './types.ts';

/** A row of Message DB's `message` type: id, data and metadata come back as text. */
export interface MessageRow {
  id: string;
  stream_name: string;
  type: string;
  position: string | number;
  global_position: string | number;
  data: string | null;
  metadata: string | null;
  time: Date | string;
}

const STRING_KEYS = [
  'traceId',
  'causationMessageStreamName',
  'correlationStreamName',
  'replyStreamName',
  'schemaVersion',
] as const;
const NUMBER_KEYS = ['causationMessagePosition', 'causationMessageGlobalPosition'] as const;

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  return JSON.parse(text) as unknown;
}

/**
 * Anyone with access to the store can write metadata, so only keys of the right type are kept;
 * the raw JSON stays available to the admin views through the store, not through handlers.
 */
function parseMetadata(value: unknown): Metadata {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  const source = value as Record<string, unknown>;
  const metadata: Record<string, unknown> = {};
  for (const key of STRING_KEYS) if (typeof source[key] === 'string') metadata[key] = source[key];
  for (const key of NUMBER_KEYS) if (Number.isSafeInteger(source[key])) metadata[key] = source[key];
  if (typeof source.userId === 'string' || source.userId === null) metadata.userId = source.userId;
  // A version of another type (3, null, {}) is kept as text for the version registry to judge,
  // not dropped: dropped, it would read as version 1 and be upcast as if it were.
  if (source.schemaVersion !== undefined && typeof source.schemaVersion !== 'string')
    metadata.schemaVersion = JSON.stringify(source.schemaVersion);
  return metadata as Metadata;
}

// Message DB stores time as a UTC timestamp without zone; pg would read it as local time.
function parseTime(value: Date | string): Date {
  if (value instanceof Date) return value;
  return new Date(`${value.replace(' ', 'T')}Z`);
}

export function fromRow(row: MessageRow): RawMessage {
  return {
    id: row.id,
    streamName: row.stream_name,
    type: row.type,
    position: Number(row.position),
    globalPosition: Number(row.global_position),
    data: parseJson(row.data),
    metadata: parseMetadata(parseJson(row.metadata)),
    time: parseTime(row.time),
  };
}
