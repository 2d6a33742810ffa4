import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.ts';
import { HttpError, TooManyRequestsError } from './errors.ts';

export function notFound(): RequestHandler {
  return (req, res) => {
    res.status(404).render('not-found', { title: 'Page not found', path: req.path });
  };
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  // body-parser and friends mark client mistakes (bad JSON, too large) with a 4xx status.
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
}

/** Registered after every router. A 4xx shows its message; a 500 shows a stack only outside production. */
export function errorHandler({ logger, showStack }: { logger: Logger; showStack: boolean }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = statusOf(error);
    const traceId = req.context?.traceId;
    if (status >= 500) logger.error({ err: error, traceId, path: req.path }, 'request failed');
    if (error instanceof TooManyRequestsError) res.set('Retry-After', String(error.retryAfterSeconds));
    const message =
      status < 500 && error instanceof Error ? error.message : 'Something went wrong on our side. It has been logged; please try again.';
    res.status(status).render('error', {
      title: status < 500 ? 'That did not work' : 'Server error',
      status,
      message,
      traceId,
      stack: showStack && status >= 500 && error instanceof Error ? error.stack : undefined,
    });
  };
}
