export type SubscriberKind = 'aggregator' | 'component';

/**
 * starting: loading its position. standby: waiting for the right to run its group member
 * (another process holds it, or runs the subscriber with another group size).
 * running: reading or waiting for messages. stalled: an aggregator whose handler kept failing
 * on valid data; it stays put so its projection stays right. stopped: after stop().
 */
export type SubscriberState = 'starting' | 'standby' | 'running' | 'stalled' | 'stopped';

export interface FailedMessage {
  readonly messageId: string;
  readonly streamName: string;
  readonly position: number;
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
  readonly consumerGroup: { readonly member: number; readonly size: number };
  readonly state: SubscriberState;
  /** Why it is in standby. */
  readonly standbyReason: string | undefined;
  /** Global position of the last message handled (0 before the first). */
  readonly position: number;
  /** Global position last stored durably. */
  readonly checkpoint: number;
  readonly caughtUp: boolean;
  /** Reading every category, it is holding at a position a transaction still in flight may fill. */
  readonly waitingAtGap: boolean;
  readonly handled: number;
  readonly retries: number;
  /** Messages a component gave up on and moved to its dead-letter stream. */
  readonly parked: number;
  /** Messages an aggregator passed over because their data breaks the contract (kept in skipped_messages). */
  readonly skipped: number;
  readonly lastSkipped: FailedMessage | undefined;
  /** Why an aggregator stalled, or the last message a component parked. */
  readonly failure: FailedMessage | undefined;
  /** The last error reading from the store, cleared by the next good read. */
  readonly readError: string | undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
