import type { StoredMessage } from '../message-queries/stored.ts';

export type ExportFormat = 'json' | 'jsonl' | 'csv';

/**
 * A message as an export holds it. Its data and metadata come as its reader may see them (the
 * admin's masked as on the pages, a user's own opened): see src/exports/stream.ts.
 */
function exportedMessage(message: StoredMessage) {
  return {
    globalPosition: message.globalPosition,
    streamName: message.streamName,
    position: message.position,
    type: message.type,
    time: message.time.toISOString(),
    id: message.id,
    data: message.data,
    metadata: message.metadata,
  };
}

/** How an export is written: its opening, each message, its close. Each piece is text sent as it comes. */
export interface ExportWriter {
  readonly contentType: string;
  readonly extension: string;
  head(about: Readonly<Record<string, unknown>>): string;
  item(message: StoredMessage, index: number): string;
  tail(count: number): string;
}

const json: ExportWriter = {
  contentType: 'application/json; charset=utf-8',
  extension: 'json',
  head: (about) => `{"export":${JSON.stringify(about)},"messages":[`,
  item: (message, index) => `${index === 0 ? '' : ','}\n${JSON.stringify(exportedMessage(message))}`,
  tail: (count) => `\n],"count":${count}}\n`,
};

const jsonLines: ExportWriter = {
  contentType: 'application/x-ndjson; charset=utf-8',
  extension: 'jsonl',
  head: () => '',
  item: (message) => `${JSON.stringify(exportedMessage(message))}\n`,
  tail: () => '',
};

const CSV_COLUMNS = [
  'global_position',
  'time',
  'stream_name',
  'position',
  'type',
  'id',
  'trace_id',
  'user_id',
  'causation_global_position',
  'data',
  'metadata',
];

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break. A field that a
 * spreadsheet would take for a formula (=, +, -, @ first) gets a leading apostrophe, since the
 * data is whatever users typed.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

const csv: ExportWriter = {
  contentType: 'text/csv; charset=utf-8',
  extension: 'csv',
  head: () => `${CSV_COLUMNS.join(',')}\r\n`,
  item(message) {
    const shown = exportedMessage(message);
    const fields = [
      String(shown.globalPosition),
      shown.time,
      shown.streamName,
      String(shown.position),
      shown.type,
      shown.id,
      message.traceId ?? '',
      message.userId ?? '',
      message.causedBy === undefined ? '' : String(message.causedBy),
      JSON.stringify(shown.data),
      JSON.stringify(shown.metadata),
    ];
    return `${fields.map(csvField).join(',')}\r\n`;
  },
  tail: () => '',
};

export const WRITERS: Readonly<Record<ExportFormat, ExportWriter>> = { json, jsonl: jsonLines, csv };
