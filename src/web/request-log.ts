import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

/**
 * One log line per request, with the fields an operator reads (method, path, status, time,
 * trace id) and nothing else: pino-http's per-request child logger and serializers took about
 * a quarter of the app's CPU under load.
 */
/** A form that cannot send a header (a plain multipart upload) carries its CSRF token in the URL: keep it out of the log. */
const hideToken = (url: string): string => (url.includes('_csrf=') ? url.replace(/([?&]_csrf=)[^&#]*/g, '$1***') : url);

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) return next();
    const start = process.hrtime.bigint();
    const line = (msg: string) => () =>
      logger.info(
        { method: req.method, url: hideToken(req.originalUrl), status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6, traceId: req.context?.traceId },
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
