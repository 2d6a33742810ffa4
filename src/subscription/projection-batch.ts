import type { Knex } from 'knex';
import { MessageDataError, type RawMessage } from '../message-store/index.ts';

/**
 * A projection that folds a whole batch into as few statements as it can (one per projection
 * row, say), instead of one or more per message.
 */
export interface BatchProjection<T> {
  /**
   * Checks a message against its contract and returns it typed; undefined passes it over. Throws
   * MessageDataError for data that breaks the contract, a sealed field that no longer opens
   * included (it reads the key through `trx`), so that it is skipped and recorded, live and on
   * rebuild alike, before anything is written.
   */
  parse(message: RawMessage, trx: Knex.Transaction): T | undefined | Promise<T | undefined>;
  /**
   * Reads, before the batch is parsed, what parsing it will need, in one statement rather than
   * one a message (the keys its viewers' fields are sealed with, say). Optional.
   */
  prepare?(messages: readonly RawMessage[], trx: Knex.Transaction): Promise<void>;
  // Methods rather than function properties, so parts of any message type sit in one list: parse
  // and apply come from one object, so apply only ever gets what its own parse made.
  apply(messages: readonly T[], trx: Knex.Transaction): Promise<void>;
}

/** Whose skip it is, as skipped_messages keys it. */
export interface SkipOwner {
  readonly subscriber_id: string;
  readonly group_member: number;
  readonly group_size: number;
}

export interface SkippedMessage {
  readonly message: RawMessage;
  readonly error: MessageDataError;
  /** False when skipped_messages already had it (a replay, or a rebuild after the live subscriber). */
  readonly newlyRecorded: boolean;
}

/** Puts a message that breaks its contract on record in skipped_messages, once per subscriber. */
async function recordSkipped(
  trx: Knex.Transaction,
  owner: SkipOwner,
  message: RawMessage,
  error: MessageDataError,
): Promise<SkippedMessage> {
  const inserted = await trx('skipped_messages')
    .insert({
      ...owner,
      global_position: message.globalPosition,
      message_id: message.id,
      stream_name: message.streamName,
      position: message.position,
      type: message.type,
      reason: error.message,
    })
    .onConflict(['subscriber_id', 'global_position'])
    .ignore()
    .returning('global_position');
  return { message, error, newlyRecorded: inserted.length > 0 };
}

/**
 * The one path from messages to a projection, live and on rebuild: parse each, skip and record
 * what breaks its contract (no retry can mend it), apply the rest as one batch. Any other error
 * goes back to the caller (the live subscriber retries it, then stalls).
 */
export async function applyProjectionBatch<T>(
  projection: BatchProjection<T>,
  messages: readonly RawMessage[],
  trx: Knex.Transaction,
  owner: SkipOwner,
): Promise<SkippedMessage[]> {
  const valid: T[] = [];
  const skipped: SkippedMessage[] = [];
  if (messages.length > 0) await projection.prepare?.(messages, trx);
  for (const message of messages) {
    try {
      const parsed = await projection.parse(message, trx);
      if (parsed !== undefined) valid.push(parsed);
    } catch (error) {
      if (!(error instanceof MessageDataError)) throw error;
      skipped.push(await recordSkipped(trx, owner, message, error));
    }
  }
  if (valid.length > 0) await projection.apply(valid, trx);
  return skipped;
}
