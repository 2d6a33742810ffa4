import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { HttpError, ServiceUnavailableError, TooManyRequestsError } from './errors.ts';

export function notFound(): RequestHandler {
  return (req, res) => {
    res.status(404).render('not-found', { title: 'Page not found', path: req.path });
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

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (clientDataError(error) !== undefined) return 400;
  // body-parser and friends mark client mistakes (bad JSON, too large) with a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

/** Registered after every router. A 4xx, or any HttpError (thrown on purpose), shows its message; a 500 shows a stack only outside production. */
export function errorHandler({ logger, showStack }: { logger: Logger; showStack: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = statusOf(error);
    const traceId = req.context?.traceId;
    if (status >= 500) logger.error({ err: error, traceId, path: req.path }, 'request failed');
    // A route let it through to the database: worth a warning, so the route gets its own check.
    const dataError = clientDataError(error);
    if (dataError !== undefined) logger.warn({ err: error, traceId, path: req.path }, 'database refused a value from the request');
    if (error instanceof TooManyRequestsError || error instanceof ServiceUnavailableError) res.set('Retry-After', String(error.retryAfterSeconds));
    const message =
      dataError ?? ((status < 500 || error instanceof HttpError) && error instanceof Error ? error.message : 'Something went wrong on our side. It has been logged; please try again.');
    res.status(status).render('error', {
      title: status < 500 ? 'That did not work' : error instanceof ServiceUnavailableError ? 'Not right now' : 'Server error',
      status,
      message,
      traceId,
      // A deliberate HttpError is no bug: nothing to debug on the page.
      stack: showStack && status >= 500 && error instanceof Error && !(error instanceof HttpError) ? error.stack : undefined,
    });
  };
}
