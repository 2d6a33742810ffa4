import type { z } from 'zod';
import type { Message, Recorded } from './types.ts';

/** A contract: the data schema of each message type a category carries. */
export type Schemas = Readonly<Record<string, z.ZodType>>;

/** The discriminated union of messages a contract describes. */
export type MessagesOf<S extends Schemas> = {
  [K in keyof S & string]: Message<K, z.output<S[K]>>;
}[keyof S & string];

/** One handler per message type; types without a handler are passed over. */
export type HandlerMap<M extends Message, Args extends unknown[] = []> = {
  readonly [K in M['type']]?: (message: Recorded<Extract<M, { type: K }>>, ...args: Args) => Promise<void>;
};
