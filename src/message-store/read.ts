import type pg from 'pg';
import { assertConsumerGroup } from './membership.ts';
import { fromRow, type MessageRow } from './rows.ts';
import { assertCategory, assertStreamName } from './stream-name.ts';
import type { CategoryReadOptions, Projection, RawMessage, StreamReadOptions } from './types.ts';

/** A category read asks for this many when its caller does not say. */
export const DEFAULT_CATEGORY_BATCH = 1000;
const DEFAULT_BATCH = DEFAULT_CATEGORY_BATCH;
/** How many streams projectEach reads in one statement. */
const STREAMS_PER_READ = 100;
/** Message DB's table read as its functions return it (`message_store.message`), for fromRow. */
const MESSAGE_COLUMNS = `id::varchar AS id, stream_name, type, position, global_position,
  data::varchar AS data, metadata::varchar AS metadata, time`;

export async function readStream(
  pool: pg.Pool,
  stream: string,
  options: StreamReadOptions = {},
): Promise<RawMessage[]> {
  assertStreamName(stream);
  const result = await pool.query<MessageRow>('SELECT * FROM get_stream_messages($1, $2, $3)', [
    stream,
    options.fromPosition ?? 0,
    options.batchSize ?? DEFAULT_BATCH,
  ]);
  return result.rows.map(fromRow);
}

/**
 * Message DB's get_category_messages, as one statement of our own, reading the same rows in the
 * same order with the same consumer-group split. That function hands PostgreSQL the category as a
 * constant, and PostgreSQL then plans by how common the category is. For a category that is
 * most of the store (viewings), read from past its last message, it walked the primary key
 * through every later message of other categories: 420,795 rows and 1.8 s on ten million
 * messages, for the subscribers of viewings at every start and poll until a viewing came. Here
 * the category comes from a one-row subquery the planner does not look into (OFFSET 0), so it is
 * a value it cannot count, and the category index's (category, global_position) is read from the
 * position.
 */
export const CATEGORY_READ = `
  SELECT m.*
    FROM (SELECT $1::varchar AS category OFFSET 0) asked
   CROSS JOIN LATERAL (
     SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE category(stream_name) = asked.category AND global_position >= $2
        AND ($4::varchar IS NULL OR category(metadata->>'correlationStreamName') = $4::varchar)
        AND ($6::bigint IS NULL OR MOD(@hash_64(cardinal_id(stream_name)), $6::bigint) = $5::bigint)
      ORDER BY global_position
      LIMIT $3
   ) m`;

export async function readCategory(
  pool: pg.Pool,
  category: string,
  options: CategoryReadOptions = {},
): Promise<RawMessage[]> {
  assertCategory(category);
  if (options.correlation !== undefined) assertCategory(options.correlation);
  const group = options.consumerGroup;
  if (group) assertConsumerGroup(group);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const result = await pool.query<MessageRow>(CATEGORY_READ, [
    category,
    options.fromPosition ?? 1,
    // -1 reads to the end, as in Message DB.
    batchSize === -1 ? null : batchSize,
    options.correlation ?? null,
    group?.member ?? null,
    group?.size ?? null,
  ]);
  return result.rows.map(fromRow);
}

export async function readLastMessage(pool: pg.Pool, stream: string, type?: string): Promise<RawMessage | undefined> {
  assertStreamName(stream);
  const result = await pool.query<MessageRow>('SELECT * FROM get_last_stream_message($1, $2)', [stream, type ?? null]);
  const row = result.rows[0];
  // A composite-returning function yields one all-null row for an empty stream.
  return row && row.id !== null ? fromRow(row) : undefined;
}

/** The stream's last position, or -1 when it has no messages (the expected version of a new stream). */
export async function streamVersion(pool: pg.Pool, stream: string): Promise<number> {
  assertStreamName(stream);
  const result = await pool.query<{ version: string | null }>('SELECT stream_version($1) AS version', [stream]);
  const version = result.rows[0]?.version;
  return version === null || version === undefined ? -1 : Number(version);
}

/** One message of an entity's stream applied: its state moved if the projection knows the type, its version always. */
function foldInto<State>(
  entity: { state: State; version: number },
  message: RawMessage,
  projection: Projection<State>,
): void {
  const apply = projection.apply[message.type];
  if (apply) entity.state = apply(entity.state, message);
  entity.version = message.position;
}

/** Folds a whole stream into an entity; the version is what a later write should expect. */
export async function project<State>(
  pool: pg.Pool,
  stream: string,
  projection: Projection<State>,
): Promise<{ state: State; version: number }> {
  const entity = { state: projection.init(), version: -1 };
  for (;;) {
    const batch = await readStream(pool, stream, { fromPosition: entity.version + 1, batchSize: DEFAULT_BATCH });
    for (const message of batch) foldInto(entity, message, projection);
    if (batch.length < DEFAULT_BATCH) return entity;
  }
}

/**
 * Folds each of several streams, read a hundred streams a statement: for a handler that must
 * know many entities of a batch, where a read each would wait its turn on a busy event loop.
 * Reads Message DB's table by its stream index, in each stream's order. Streams with no
 * messages get the projection's initial state and version -1.
 */
export async function projectEach<State>(
  pool: pg.Pool,
  streams: readonly string[],
  projection: Projection<State>,
): Promise<Map<string, { state: State; version: number }>> {
  const names = [...new Set(streams)];
  for (const stream of names) assertStreamName(stream);
  const folded = new Map(names.map((stream) => [stream, { state: projection.init(), version: -1 }]));
  // A few streams a statement: each is read whole, and a batch of a thousand acceptances of videos
  // with a hundred progress reports each would otherwise come back as one result of 100,000 rows.
  for (let start = 0; start < names.length; start += STREAMS_PER_READ) {
    const result = await pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS}
         FROM messages
        WHERE stream_name = ANY($1::varchar[])
        ORDER BY stream_name, position`,
      [names.slice(start, start + STREAMS_PER_READ)],
    );
    for (const message of result.rows.map(fromRow)) foldInto(folded.get(message.streamName)!, message, projection);
  }
  return folded;
}

/** The names of the streams of `category` whose id starts with `idPrefix`. */
export async function streamNames(pool: pg.Pool, category: string, idPrefix: string): Promise<string[]> {
  assertCategory(category);
  const pattern = `${category}-${idPrefix}`.replace(/[\\%_]/g, (character) => `\\${character}`);
  const result = await pool.query<{ stream_name: string }>(
    `SELECT DISTINCT stream_name FROM messages WHERE category(stream_name) = $1 AND stream_name LIKE $2 || '%'`,
    [category, pattern],
  );
  return result.rows.map((row) => row.stream_name).sort();
}
