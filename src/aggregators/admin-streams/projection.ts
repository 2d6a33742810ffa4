import type { Knex } from 'knex';
import { categoryOf, type RawMessage } from '../../message-store/index.ts';
import type { BatchProjection } from '../../subscription/aggregator-processor.ts';

/** What this projection keeps of a message: where it is and when, never its data. */
export interface StoredMessage {
  readonly streamName: string;
  readonly category: string;
  readonly type: string;
  readonly position: number;
  readonly globalPosition: number;
  readonly time: Date;
}

// The batch as a table, shared by the statements below (each binds the same five arrays).
const BATCH = `unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::timestamptz[])
  AS m (stream_name, category, type, position, global_position, time)`;

function bindings(messages: readonly StoredMessage[]): Knex.RawBinding[] {
  return [
    messages.map((m) => m.streamName),
    messages.map((m) => m.category),
    messages.map((m) => m.type),
    messages.map((m) => m.position),
    messages.map((m) => m.globalPosition),
    messages.map((m) => m.time),
  ];
}

/**
 * Counts grouped by `key`, taking only the messages past each row's guard and moving it to the
 * last. The reader goes through every category in global order without ever passing a commit
 * still in flight, so every message at or below a row's guard has been counted into it: a
 * replay counts nothing twice, however its batches are cut.
 */
function countedInto(
  table: string,
  key: readonly string[],
  keyExpressions: readonly string[],
  extra: { readonly columns: string; readonly selects: string; readonly sets: string },
): string {
  const joins = key.map((column, n) => `existing.${column} = ${keyExpressions[n]}`).join(' AND ');
  return `INSERT INTO ${table} AS counted (${key.join(', ')}, message_count, last_global_position${extra.columns})
          SELECT ${keyExpressions.join(', ')}, count(*), max(m.global_position)${extra.selects}
            FROM ${BATCH}
            LEFT JOIN ${table} AS existing ON ${joins}
           WHERE existing.last_global_position IS NULL OR m.global_position > existing.last_global_position
           GROUP BY ${keyExpressions.join(', ')}
          ON CONFLICT (${key.join(', ')}) DO UPDATE
             SET message_count = counted.message_count + excluded.message_count,
                 last_global_position = excluded.last_global_position${extra.sets}`;
}

const LAST_TIME = {
  columns: ', last_time',
  selects: ', max(m.time)',
  sets: ', last_time = greatest(counted.last_time, excluded.last_time)',
};

const STATEMENTS = [
  // A stream's count is its last position + 1 (positions are gapless from 0), so its row needs
  // no counting: the last message sets it, and a replayed one is older than the row.
  `INSERT INTO admin_streams AS s (stream_name, category, message_count, last_position, last_global_position, last_time)
   SELECT DISTINCT ON (m.stream_name) m.stream_name, m.category, m.position + 1, m.position, m.global_position, m.time
     FROM ${BATCH}
    ORDER BY m.stream_name, m.global_position DESC
   ON CONFLICT (stream_name) DO UPDATE
      SET message_count = excluded.message_count, last_position = excluded.last_position,
          last_global_position = excluded.last_global_position, last_time = excluded.last_time
    WHERE s.last_global_position < excluded.last_global_position`,
  // A stream is new with its first message (position 0): so the category counts its streams.
  countedInto('admin_categories', ['category'], ['m.category'], {
    columns: ', stream_count, last_time',
    selects: ', count(*) FILTER (WHERE m.position = 0), max(m.time)',
    sets: ', stream_count = counted.stream_count + excluded.stream_count, last_time = greatest(counted.last_time, excluded.last_time)',
  }),
  countedInto('admin_message_types', ['category', 'type'], ['m.category', 'm.type'], LAST_TIME),
  countedInto('admin_message_minutes', ['minute'], [`date_trunc('minute', m.time)`], {
    columns: '',
    selects: '',
    sets: '',
  }),
];

/**
 * Every message of every category, counted per stream, category, type and minute. Messages are
 * not checked against any contract: every one is counted, whoever wrote it.
 */
export const adminStreamsProjection: BatchProjection<StoredMessage> = {
  parse: (message: RawMessage): StoredMessage => ({
    streamName: message.streamName,
    category: categoryOf(message.streamName),
    type: message.type,
    position: message.position,
    globalPosition: message.globalPosition,
    time: message.time,
  }),
  async apply(messages, trx: Knex.Transaction) {
    const values = bindings(messages);
    for (const statement of STATEMENTS) await trx.raw(statement, values);
  },
};
