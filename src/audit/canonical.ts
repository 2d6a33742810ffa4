import { createHash } from 'node:crypto';

/**
 * One message exactly as the chain hashes it: every column of Message DB's messages table as
 * PostgreSQL renders it in text (see RAW_MESSAGE_COLUMNS). Text, not parsed values: parsing
 * would lose what a change can hide in (digits past a double's precision, metadata keys the
 * app does not read, microseconds of the time).
 */
export interface AuditRecord {
  readonly streamName: string;
  /** Decimal, as bigint::text. */
  readonly position: string;
  readonly type: string;
  /** jsonb::text, or null for SQL NULL. */
  readonly data: string | null;
  readonly metadata: string | null;
  /** The zone-less UTC timestamp as YYYY-MM-DDTHH:MI:SS.US (always six fractional digits). */
  readonly time: string;
  readonly globalPosition: string;
  /** uuid::text: lower case with dashes. */
  readonly id: string;
}

/**
 * The select list that yields an AuditRecord's text. jsonb::text is jsonb's one rendering of the
 * stored value (keys by length then bytes, fixed spacing), the same whatever the session's
 * settings; to_char fixes the time's format, which DateStyle would otherwise choose.
 */
export const RAW_MESSAGE_COLUMNS = `stream_name, position::text AS position, type, data::text AS data, metadata::text AS metadata,
  to_char(time, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS time, global_position::text AS global_position, id::text AS id`;

/** A row selected with RAW_MESSAGE_COLUMNS. */
export interface RawMessageRow {
  stream_name: string;
  position: string;
  type: string;
  data: string | null;
  metadata: string | null;
  time: string;
  global_position: string;
  id: string;
}

export function recordFromRow(row: RawMessageRow): AuditRecord {
  return {
    streamName: row.stream_name,
    position: row.position,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    time: row.time,
    globalPosition: row.global_position,
    id: row.id,
  };
}

const NULL_FIELD = 0xffffffff;

/** The link before the first message: a fixed, named value, so a chain cannot begin anywhere else. */
export const GENESIS_LINK: Buffer = createHash('sha256').update('video-tutorials audit chain v1').digest();

/**
 * The canonical bytes of a record: each field, in a fixed order, as a 4-byte big-endian length
 * and its UTF-8 bytes (0xFFFFFFFF and no bytes for NULL). Length prefixes make the encoding
 * unambiguous (no field can borrow bytes from the next) and easy to rebuild in any language.
 */
export function encodeRecord(record: AuditRecord): Buffer {
  const fields = [
    record.streamName,
    record.position,
    record.type,
    record.data,
    record.metadata,
    record.time,
    record.globalPosition,
    record.id,
  ];
  const parts: Buffer[] = [];
  for (const field of fields) {
    const length = Buffer.alloc(4);
    if (field === null) {
      length.writeUInt32BE(NULL_FIELD);
      parts.push(length);
      continue;
    }
    const bytes = Buffer.from(field, 'utf8');
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

/** link_n = SHA-256(link_{n-1} ‖ encode(message_n)). */
export function nextLink(previous: Buffer, record: AuditRecord): Buffer {
  return createHash('sha256').update(previous).update(encodeRecord(record)).digest();
}
