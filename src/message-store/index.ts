import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { createMembership, type Membership } from './membership.ts';
import { messageStoreConnectionConfig } from './pool.ts';
import { createAllMessagesReader, type AllMessagesReader } from './read-all.ts';
import { project, projectEach, readCategory, readLastMessage, readStream, streamNames, streamVersion } from './read.ts';
import { createSession } from './session.ts';
import { categoryOf } from './stream-name.ts';
import type { CategoryReadOptions, Message, Projection, RawMessage, StreamReadOptions } from './types.ts';
import type { VersionRegistry } from './versions.ts';
import { writeMessage } from './write.ts';
import { createWriteSignals } from './write-signals.ts';

export interface MessageStore {
  write(streamName: string, message: Message, expectedVersion?: number): Promise<number>;
  readStream(streamName: string, options?: StreamReadOptions): Promise<RawMessage[]>;
  readCategory(category: string, options?: CategoryReadOptions): Promise<RawMessage[]>;
  /** A reader of every category in global order that never passes a commit still in flight. */
  allMessagesReader(): AllMessagesReader;
  readLastMessage(streamName: string, type?: string): Promise<RawMessage | undefined>;
  /** Names of the streams of `category` whose id starts with `idPrefix`. */
  streamNames(category: string, idPrefix: string): Promise<string[]>;
  streamVersion(streamName: string): Promise<number>;
  project<State>(streamName: string, projection: Projection<State>): Promise<{ state: State; version: number }>;
  /** project() for each of several streams, in one read; keyed by stream name. */
  projectEach<State>(
    streamNames: readonly string[],
    projection: Projection<State>,
  ): Promise<Map<string, { state: State; version: number }>>;
  /** Wakes `listener` after each committed write to `category` (ANY_CATEGORY for all), from this process or another. */
  onWrite(category: string, listener: () => void): () => void;
  /** Who may run which subscriber: one running process per consumer-group member. */
  readonly membership: Membership;
  /** Is Message DB installed and answering? */
  version(): Promise<string>;
  /** Closes the session connection (wake-ups, membership); the pool belongs to the caller. */
  close(): Promise<void>;
}

export interface MessageStoreDeps {
  readonly pool: pg.Pool;
  readonly url: string;
  readonly logger: Logger;
  /**
   * Which version of each message type's data a writer writes today, built from the contracts
   * (src/contracts/versions.ts). Handed in rather than imported: the contracts sit above the
   * store and import it.
   */
  readonly versions: VersionRegistry;
}

export function createMessageStore({ pool, url, logger, versions }: MessageStoreDeps): MessageStore {
  const session = createSession({ ...messageStoreConnectionConfig(url), keepAliveInitialDelayMillis: 10_000 }, logger);
  const signals = createWriteSignals(session, logger);
  const membership = createMembership(session);
  return {
    async write(stream, message, expectedVersion) {
      const position = await writeMessage(pool, versions, stream, message, expectedVersion);
      signals.written(categoryOf(stream));
      return position;
    },
    readStream: (stream, options) => readStream(pool, stream, options),
    readCategory: (category, options) => readCategory(pool, category, options),
    allMessagesReader: () => createAllMessagesReader(pool),
    readLastMessage: (stream, type) => readLastMessage(pool, stream, type),
    streamNames: (category, idPrefix) => streamNames(pool, category, idPrefix),
    streamVersion: (stream) => streamVersion(pool, stream),
    project: (stream, projection) => project(pool, stream, projection),
    projectEach: (streams, projection) => projectEach(pool, streams, projection),
    onWrite: (category, listener) => signals.onWrite(category, listener),
    membership,
    async version() {
      const result = await pool.query<{ version: string }>('SELECT message_store_version() AS version');
      return result.rows[0]?.version ?? '';
    },
    async close() {
      await signals.close();
      await session.close();
    },
  };
}

export { follow } from './follow.ts';
export { derivedMessageId } from './message-id.ts';
export { VersionConflictError, StreamNameError, MessageDataError } from './errors.ts';
export * from './contract.ts';
export { DuplicateMessageIdError } from './write.ts';
export { ANNOUNCES_WRITES_SETTING, createMessageStorePool, MESSAGE_STORE_ROLE } from './pool.ts';
export { ANY_CATEGORY } from './write-signals.ts';
export { TRACE_ID_EXPRESSION, TRACE_INDEX } from './trace-id-index.ts';
export { withSharedReads } from './shared-reads.ts';
export {
  assertConsumerGroup,
  consumerGroupProblem,
  MAX_GROUP_SIZE,
  SOLE_MEMBER,
  type ConsumerGroup,
  type Claim,
  type ClaimResult,
  type Membership,
} from './membership.ts';
export type { AllMessagesReader } from './read-all.ts';
export * from './stream-name.ts';
export type * from './types.ts';
export { createVersionRegistry, type Evolution, type Upcaster, type VersionRegistry } from './versions.ts';
