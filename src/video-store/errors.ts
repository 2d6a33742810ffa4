/** A key or URI that is not one the video store makes: it could name a file outside its directory. */
export class InvalidVideoKeyError extends Error {
  override name = 'InvalidVideoKeyError';
  readonly permanent = true;
}

export class VideoNotFoundError extends Error {
  override name = 'VideoNotFoundError';
  constructor(readonly uri: string) {
    super(`no stored file at ${uri}`);
  }
}

/** A byte range outside the file (HTTP answers 416 with the size). */
export class RangeNotSatisfiableError extends Error {
  override name = 'RangeNotSatisfiableError';
  constructor(
    readonly uri: string,
    readonly size: number,
  ) {
    super(`range not satisfiable for ${uri} (${size} bytes)`);
  }
}

/** The body was longer than the caller allowed; nothing was stored. */
export class VideoTooLargeError extends Error {
  override name = 'VideoTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
  }
}
