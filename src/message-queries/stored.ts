/**
 * Messages as the admin pages read them: straight from Message DB's table (the browser's
 * filters and the scans in this folder need SQL that Message DB's functions do not offer), with
 * the metadata kept as written, since an operator must see what is there, not what a handler
 * would accept. The row shapes of every query here that returns whole messages or summaries.
 */

/** A row in a list: no data, and only the metadata keys the lists show. */
export interface MessageSummary {
  readonly globalPosition: number;
  readonly position: number;
  readonly streamName: string;
  readonly type: string;
  readonly time: Date;
  readonly traceId: string | undefined;
  readonly userId: string | undefined;
  /** The global position of the message that caused this one, if the metadata names one. */
  readonly causedBy: number | undefined;
}

export interface StoredMessage extends MessageSummary {
  readonly id: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
}

// `time` is a UTC timestamp without zone: AT TIME ZONE 'UTC' makes it an instant, read as a Date.
export const SUMMARY_COLUMNS = `global_position, position, stream_name, type, time AT TIME ZONE 'UTC' AS time,
  metadata->>'traceId' AS trace_id, metadata->>'userId' AS user_id,
  metadata->>'causationMessageGlobalPosition' AS caused_by`;
export const MESSAGE_COLUMNS = `${SUMMARY_COLUMNS}, id::text AS id, data, metadata`;

export interface SummaryRow {
  global_position: string | number;
  position: string | number;
  stream_name: string;
  type: string;
  time: Date;
  trace_id: string | null;
  user_id: string | null;
  caused_by: string | null;
}

export interface MessageRow extends SummaryRow {
  id: string;
  data: unknown;
  metadata: unknown;
}

/** A global position as the URL or a form gives it: a positive whole number Postgres can hold. */
export function parseGlobalPosition(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) return undefined;
  const position = Number(value);
  return Number.isSafeInteger(position) ? position : undefined;
}

export function toSummary(row: SummaryRow): MessageSummary {
  return {
    globalPosition: Number(row.global_position),
    position: Number(row.position),
    streamName: row.stream_name,
    type: row.type,
    time: row.time,
    traceId: row.trace_id ?? undefined,
    userId: row.user_id ?? undefined,
    // Anyone who can write to the store can write metadata: a non-number here is shown as no link.
    causedBy: parseGlobalPosition(row.caused_by ?? undefined),
  };
}

export function toStoredMessage(row: MessageRow): StoredMessage {
  const metadata =
    row.metadata !== null && typeof row.metadata === 'object' && !Array.isArray(row.metadata)
      ? (row.metadata as Record<string, unknown>)
      : {};
  return { ...toSummary(row), id: row.id, data: row.data, metadata };
}
