/** Where a person can go from an error page: a link, in their words. */
export interface NextStep {
  readonly href: string;
  readonly label: string;
}

/** How an error page is headed and where it sends the person on; each has a default by status. */
export interface ErrorPage {
  /** "Video not found" rather than "Page not found". */
  readonly title?: string;
  readonly next?: NextStep;
}

/** An error a request handler throws on purpose: its status and message are fit to show. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly page: ErrorPage = {},
  ) {
    super(message);
  }
}

export class BadRequestError extends HttpError {
  override name = 'BadRequestError';
  constructor(message: string) {
    super(400, message);
  }
}

export class ForbiddenError extends HttpError {
  override name = 'ForbiddenError';
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  override name = 'NotFoundError';
  constructor(message: string, page?: ErrorPage) {
    super(404, message, page);
  }
}

/** Over a rate limit: the page says when to try again, and so does the Retry-After header. */
export class TooManyRequestsError extends HttpError {
  override name = 'TooManyRequestsError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, message);
  }
}

/** We cannot do it now, through no fault of the request (a full disk): the page and Retry-After say when to try again. */
export class ServiceUnavailableError extends HttpError {
  override name = 'ServiceUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(503, message);
  }
}
