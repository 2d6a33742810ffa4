import type pg from 'pg';
import { VersionConflictError } from './errors.ts';
import { assertStreamName } from './stream-name.ts';
import type { Message } from './types.ts';
import type { VersionRegistry } from './versions.ts';

/** An id already used by a message in another stream: a bug in the writer, not a retry. */
export class DuplicateMessageIdError extends Error {
  override name = 'DuplicateMessageIdError';
  constructor(
    readonly messageId: string,
    readonly streamName: string,
    readonly existingStreamName: string,
  ) {
    super(`Message id ${messageId} was already written to ${existingStreamName}, not ${streamName}`);
  }
}

// Anchored at both ends: unanchored, the (.*) is tried from every position of a long message.
const WRONG_VERSION = /^Wrong expected version: (-?\d+) \(Stream: (.*), Stream Version: (-?\d+|)\)$/;
const UNIQUE_VIOLATION = '23505';

function isPgError(error: unknown): error is Error & { code?: string; constraint?: string } {
  return error instanceof Error;
}

async function findWritten(pool: pg.Pool, id: string): Promise<{ streamName: string; position: number } | undefined> {
  const result = await pool.query<{ stream_name: string; position: string }>(
    'SELECT stream_name, position FROM message_store.messages WHERE id = $1',
    [id],
  );
  const row = result.rows[0];
  return row ? { streamName: row.stream_name, position: Number(row.position) } : undefined;
}

/**
 * Writes one message and returns its stream position. Writing an id that is already in this
 * stream returns the first write's position, so a retried request cannot duplicate an event.
 * Nothing else rides in the statement: a NOTIFY here would take PostgreSQL's cluster-wide
 * notify lock at every commit and queue unrelated writers behind each other (write-signals.ts).
 */
export async function writeMessage(
  pool: pg.Pool,
  versions: Pick<VersionRegistry, 'currentVersion'>,
  stream: string,
  message: Message,
  expectedVersion?: number,
): Promise<number> {
  assertStreamName(stream);
  // Every message says which shape its data has, so a later release can read it (versions.ts).
  const metadata = {
    ...message.metadata,
    schemaVersion: message.metadata.schemaVersion ?? versions.currentVersion(message.type),
  };
  try {
    const result = await pool.query<{ position: string }>('SELECT write_message($1, $2, $3, $4, $5, $6) AS position', [
      message.id,
      stream,
      message.type,
      JSON.stringify(message.data ?? {}),
      JSON.stringify(metadata),
      expectedVersion ?? null,
    ]);
    return Number(result.rows[0]?.position);
  } catch (error) {
    if (!isPgError(error)) throw error;
    const conflict = WRONG_VERSION.exec(error.message);
    const isDuplicate = error.code === UNIQUE_VIOLATION && error.constraint === 'messages_id';
    if (!conflict && !isDuplicate) throw error;

    // Either way, the message may already be in the store from an earlier attempt.
    const written = await findWritten(pool, message.id);
    if (written?.streamName === stream) return written.position;
    if (written) throw new DuplicateMessageIdError(message.id, stream, written.streamName);
    if (conflict) {
      const actual = conflict[3] === '' ? -1 : Number(conflict[3]);
      throw new VersionConflictError(stream, Number(conflict[1]), actual);
    }
    throw error;
  }
}
