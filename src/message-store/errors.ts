/** A write that named an expected version the stream no longer has. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(
    readonly streamName: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`Wrong expected version for ${streamName}: expected ${expectedVersion}, stream is at ${actualVersion}`);
  }
}

/** A name that is not a valid stream (or category) name for Message DB. */
export class StreamNameError extends Error {
  override name = 'StreamNameError';
}

/** Message data that breaks its contract; retrying will not help, so subscribers do not retry it. */
export class MessageDataError extends Error {
  override name = 'MessageDataError';
  readonly permanent = true;
  constructor(
    readonly messageId: string,
    readonly type: string,
    readonly problems: string,
  ) {
    super(`${type} ${messageId} has invalid data: ${problems}`);
  }
}
