import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

/**
 * One log line per request, with the fields an operator reads (method, path, status, time,
 * trace id) and nothing else: pino-http's per-request child logger and serializers took about
 * a quarter of the app's CPU under load.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info')) return next();
    const start = process.hrtime.bigint();
    const line = (msg: string) => () =>
      logger.info(
        { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6, traceId: req.context?.traceId },
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
