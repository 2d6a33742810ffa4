/** Metadata keys follow Eventide's conventions (design §3) plus the book's traceId and userId. */
export interface Metadata {
  readonly traceId?: string;
  readonly userId?: string | null;
  readonly causationMessageStreamName?: string;
  readonly causationMessagePosition?: number;
  readonly causationMessageGlobalPosition?: number;
  readonly correlationStreamName?: string;
  readonly replyStreamName?: string;
  readonly schemaVersion?: string;
}

/** A message as written: typed by its `type`, with the data shape that type carries. */
export interface Message<Type extends string = string, Data = unknown> {
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: Metadata;
}

/** What the store adds once a message is written. */
export interface RecordedFields {
  readonly streamName: string;
  readonly position: number;
  readonly globalPosition: number;
  readonly time: Date;
}

export type Recorded<M extends Message = Message> = M & RecordedFields;

/** A message straight from the store, before its data has been validated against a contract. */
export type RawMessage = Recorded<Message<string, unknown>>;

export interface CategoryReadOptions {
  /** Global position to start from, inclusive. */
  readonly fromPosition?: number;
  readonly batchSize?: number;
  /** Only messages whose correlationStreamName is in this category. */
  readonly correlation?: string;
  readonly consumerGroup?: { readonly member: number; readonly size: number };
}

export interface StreamReadOptions {
  /** Stream position to start from, inclusive. */
  readonly fromPosition?: number;
  /** -1 reads the whole rest of the stream. */
  readonly batchSize?: number;
}

/** An entity projection: an initial state and one pure function per event type it understands. */
export interface Projection<State> {
  readonly init: () => State;
  readonly apply: Readonly<Record<string, (state: State, message: RawMessage) => State>>;
}
