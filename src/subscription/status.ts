export type SubscriberKind = 'aggregator' | 'component';

/**
 * starting: loading its position. running: reading or waiting for messages.
 * stalled: an aggregator whose handler kept failing; it stays put so its projection stays right.
 * stopped: after stop().
 */
export type SubscriberState = 'starting' | 'running' | 'stalled' | 'stopped';

export interface FailedMessage {
  readonly messageId: string;
  readonly streamName: string;
  readonly type: string;
  readonly globalPosition: number;
  readonly error: string;
  readonly attempts: number;
  readonly at: Date;
}

export interface SubscriberStatus {
  readonly subscriberId: string;
  readonly category: string;
  readonly kind: SubscriberKind;
  readonly state: SubscriberState;
  /** Global position of the last message handled (0 before the first). */
  readonly position: number;
  /** Global position last stored durably. */
  readonly checkpoint: number;
  readonly caughtUp: boolean;
  readonly handled: number;
  readonly retries: number;
  /** Messages a component gave up on and moved to its dead-letter stream. */
  readonly parked: number;
  /** Why an aggregator stalled, or the last message a component parked. */
  readonly failure: FailedMessage | undefined;
  /** The last error reading from the store, cleared by the next good read. */
  readonly readError: string | undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
