import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { createWriteNotifications, type WriteNotifications } from './notifications.ts';
import { messageStoreConnectionConfig } from './pool.ts';
import { project, readCategory, readLastMessage, readStream, streamVersion } from './read.ts';
import type { CategoryReadOptions, Message, Projection, RawMessage, StreamReadOptions } from './types.ts';
import { writeMessage } from './write.ts';

export interface MessageStore {
  write(streamName: string, message: Message, expectedVersion?: number): Promise<number>;
  readStream(streamName: string, options?: StreamReadOptions): Promise<RawMessage[]>;
  readCategory(category: string, options?: CategoryReadOptions): Promise<RawMessage[]>;
  readLastMessage(streamName: string, type?: string): Promise<RawMessage | undefined>;
  streamVersion(streamName: string): Promise<number>;
  project<State>(streamName: string, projection: Projection<State>): Promise<{ state: State; version: number }>;
  /** Wakes `listener` after each committed write to `category`. */
  onWrite(category: string, listener: () => void): () => void;
  /** Is Message DB installed and answering? */
  version(): Promise<string>;
  /** Stops listening for writes; the pool belongs to the caller. */
  close(): Promise<void>;
}

export interface MessageStoreDeps {
  readonly pool: pg.Pool;
  readonly url: string;
  readonly logger: Logger;
  readonly notifications?: WriteNotifications;
}

export function createMessageStore({ pool, url, logger, notifications }: MessageStoreDeps): MessageStore {
  const writes = notifications ?? createWriteNotifications(messageStoreConnectionConfig(url), logger);
  return {
    write: (stream, message, expectedVersion) => writeMessage(pool, stream, message, expectedVersion),
    readStream: (stream, options) => readStream(pool, stream, options),
    readCategory: (category, options) => readCategory(pool, category, options),
    readLastMessage: (stream, type) => readLastMessage(pool, stream, type),
    streamVersion: (stream) => streamVersion(pool, stream),
    project: (stream, projection) => project(pool, stream, projection),
    onWrite: (category, listener) => writes.onWrite(category, listener),
    async version() {
      const result = await pool.query<{ version: string }>('SELECT message_store_version() AS version');
      return result.rows[0]?.version ?? '';
    },
    close: () => writes.close(),
  };
}

export { follow } from './follow.ts';
export { VersionConflictError, StreamNameError, MessageDataError } from './errors.ts';
export * from './contract.ts';
export { DuplicateMessageIdError } from './write.ts';
export { createMessageStorePool, messageStoreConnectionConfig } from './pool.ts';
export * from './stream-name.ts';
export type * from './types.ts';
