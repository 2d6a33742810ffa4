import type pg from 'pg';
import { fromRow, type MessageRow } from './rows.ts';
import { assertCategory, assertStreamName } from './stream-name.ts';
import type { CategoryReadOptions, Projection, RawMessage, StreamReadOptions } from './types.ts';

/** A category read asks for this many when its caller does not say. */
export const DEFAULT_CATEGORY_BATCH = 1000;
const DEFAULT_BATCH = DEFAULT_CATEGORY_BATCH;
/** How many streams projectEach reads in one statement. */
const STREAMS_PER_READ = 100;

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

export async function readCategory(
  pool: pg.Pool,
  category: string,
  options: CategoryReadOptions = {},
): Promise<RawMessage[]> {
  assertCategory(category);
  if (options.correlation !== undefined) assertCategory(options.correlation);
  const group = options.consumerGroup;
  const result = await pool.query<MessageRow>('SELECT * FROM get_category_messages($1, $2, $3, $4, $5, $6)', [
    category,
    options.fromPosition ?? 1,
    options.batchSize ?? DEFAULT_BATCH,
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
      `SELECT id::varchar AS id, stream_name, type, position, global_position,
              data::varchar AS data, metadata::varchar AS metadata, time
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
