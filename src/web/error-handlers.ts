import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { isInfrastructureError } from '../subscription/retry.ts';
import { errorPage } from './error-pages.ts';
import { HttpError, ServiceUnavailableError, TooManyRequestsError } from './errors.ts';
import { urlForLog } from './request-log.ts';

export function notFound(): RequestHandler {
  return (req, res) => {
    res.status(404).render('not-found', { ...errorPage(404), path: req.path });
  };
}

/**
 * PostgreSQL's answers to a value only a request can carry, once it slipped past a route's
 * checks: 22021 a byte sequence invalid in UTF8 (NUL in a parameter), 22008 a date or time out
 * of range (year 0), 22P05 a character jsonb cannot hold (\u0000 in a field written). Not
 * 22P02 (text that is not of its type): our own casts of stored data raise it too, and that is
 * a fault of ours to log as one, not the client's.
 */
const CLIENT_DATA_ERRORS: ReadonlyMap<string, string> = new Map([
  ['22021', 'The request holds a character that cannot be stored or searched for (such as a NUL byte).'],
  ['22008', 'The request holds a date or time out of range.'],
  ['22P05', 'The request holds a character that cannot be stored (such as a NUL byte).'],
]);

/** A client mistake PostgreSQL found: pg errors carry SQLSTATE in `code` (and node errors carry strings like ECONNREFUSED, which are not in the map). */
function clientDataError(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? CLIENT_DATA_ERRORS.get(code) : undefined;
}

// body-parser's own words ("request entity too large") mean nothing to a visitor.
const FORM_TOO_LARGE =
  'That is more than this form can take. Shorten it and send it again (your browser’s Back button brings back what you typed).';
// Any other client mistake a library found (a charset or encoding it cannot read, an address it
// cannot decode): its words ("unsupported charset", "incorrect header check") are not the visitor's.
const REQUEST_NOT_READ = 'We could not read that request. Go back, reload the page and try again.';

// An outage is short, or someone is already on it: a browser or a client may ask again this soon.
const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** The database (or what it stands on) is out of reach for now, which asking again later may mend; also when wrapped as a cause. */
function isOutage(error: unknown): boolean {
  for (let cause = error, depth = 0; cause !== undefined && cause !== null && depth < 5; depth += 1) {
    if (isInfrastructureError(cause)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (isOutage(error)) return 503;
  if (clientDataError(error) !== undefined) return 400;
  // body-parser and friends mark client mistakes (bad JSON, too large) with a 4xx status.
  const status =
    (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

/**
 * Registered after every router. A 4xx, or any HttpError (thrown on purpose), shows its message;
 * a 503 for the database out of reach asks to try again in a moment; a 500 says it was logged. A
 * visitor never sees a stack or an unexpected error's own words, in any mode: the operator has
 * them in the log.
 */
export function errorHandler({ logger }: { logger: Logger }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = statusOf(error);
    const traceId = req.context?.traceId;
    if (status === 503 && !(error instanceof HttpError)) {
      // One line per request while it lasts, without a stack: the cause is the outage, not this route.
      const { code, message } = error as { code?: unknown; message?: unknown };
      logger.warn(
        { traceId, path: urlForLog(req.path), code, reason: message },
        'request refused: the database is out of reach',
      );
      res.set('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
      return res.status(503).render('error', {
        ...errorPage(503, { title: 'Try again in a moment' }),
        status,
        message: 'The site cannot do this right now. It is nothing you did: please try again in a moment.',
        traceId,
      });
    }
    if (status >= 500) logger.error({ err: error, traceId, path: urlForLog(req.path) }, 'request failed');
    // A route let it through to the database: worth a warning, so the route gets its own check.
    const dataError = clientDataError(error);
    if (dataError !== undefined)
      logger.warn({ err: error, traceId, path: urlForLog(req.path) }, 'database refused a value from the request');
    if (error instanceof TooManyRequestsError || error instanceof ServiceUnavailableError)
      res.set('Retry-After', String(error.retryAfterSeconds));
    if (status < 500 && !(error instanceof HttpError) && dataError === undefined)
      logger.info(
        { traceId, path: urlForLog(req.path), status, reason: error instanceof Error ? error.message : String(error) },
        'request refused by a library',
      );
    // Only our own errors (HttpError) are written for a visitor; anything else is told in our words.
    const message =
      dataError ??
      (error instanceof HttpError ? error.message : undefined) ??
      (status === 413
        ? FORM_TOO_LARGE
        : status < 500
          ? REQUEST_NOT_READ
          : 'Something went wrong on our side. It has been logged; please try again.');
    res.status(status).render('error', {
      ...errorPage(status, error instanceof HttpError ? error.page : undefined),
      status,
      message,
      traceId,
    });
  };
}
