import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

/**
 * One log line per request, with the fields an operator reads (method, path, status, time,
 * trace id) and nothing else: pino-http's per-request child logger and serializers took about
 * a quarter of the app's CPU under load.
 */
/**
 * Values kept out of the log: a CSRF token (a plain multipart upload, which cannot send a header,
 * carries it in the URL) and an email address (the log-in page's ?email=, from "Log in instead"),
 * personal data that an erasure could not reach once it is in a log line.
 */
const HIDDEN = /([?&](?:_csrf|email)=)[^&#]*/g;
/**
 * An account link's token in a path (/auth/reset/<requestId>.<signature>, src/account-links):
 * the signature opens the link for whoever reads the log within its hour, so only the request
 * id it names is kept.
 */
const ACCOUNT_LINK = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.)[A-Za-z0-9_-]{43}/gi;
/** A URL or path as a log line may hold it: no token, no address. */
export const urlForLog = (url: string): string => {
  const path = url.replace(ACCOUNT_LINK, '$1***');
  return path.includes('=') ? path.replace(HIDDEN, '$1***') : path;
};

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) return next();
    const start = process.hrtime.bigint();
    const line = (msg: string) => () =>
      logger.info(
        {
          method: req.method,
          url: urlForLog(req.originalUrl),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - start) / 1e6,
          traceId: req.context?.traceId,
        },
        msg,
      );
    const finished = line('request');
    const aborted = line('request aborted');
    res.once('finish', () => {
      res.removeListener('close', aborted);
      finished();
    });
    res.once('close', aborted);
    next();
  };
}
