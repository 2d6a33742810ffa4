import type { z } from 'zod';
import {
  MessageDataError,
  type HandlerMap,
  type MessagesOf,
  type RawMessage,
  type Recorded,
  type Schemas,
} from '../message-store/index.ts';
import { messageVersions } from './versions.ts';

/**
 * Checks a message read from the store against its contract: the store is a trust boundary,
 * since anything with access to it can write. Unknown types give undefined. Data of an older
 * schemaVersion is first brought up to the current one (./versions.ts), so every typed reader
 * sees one shape; raw reads (admin views, the audit chain) keep what was stored. A version
 * newer than this code knows throws MessageDataError, like any data that breaks the contract.
 */
export function parseMessage<S extends Schemas>(schemas: S, stored: RawMessage): Recorded<MessagesOf<S>> | undefined {
  if (!Object.hasOwn(schemas, stored.type)) return undefined;
  const raw = messageVersions.upcast(stored);
  const schema = schemas[raw.type] as z.ZodType;
  const parsed = schema.safeParse(raw.data);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`)
      .join('; ');
    throw new MessageDataError(raw.id, raw.type, problems);
  }
  return { ...raw, data: parsed.data } as Recorded<MessagesOf<S>>;
}

/** Validates each message and hands it to the handler for its type. */
export function createDispatcher<S extends Schemas, Args extends unknown[] = []>(
  schemas: S,
  handlers: HandlerMap<MessagesOf<S>, Args>,
): (raw: RawMessage, ...args: Args) => Promise<void> {
  return async (raw, ...args) => {
    if (!Object.hasOwn(handlers, raw.type)) return;
    const message = parseMessage(schemas, raw);
    if (!message) return;
    const handler = handlers[message.type as keyof typeof handlers] as
      ((message: Recorded<MessagesOf<S>>, ...args: Args) => Promise<void>) | undefined;
    await handler?.(message, ...args);
  };
}
