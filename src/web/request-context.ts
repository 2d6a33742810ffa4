import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** One trace id per request, copied into every message the request writes. */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const traceId = randomUUID();
    req.context = { traceId, userId: req.session?.userId ?? null };
    res.locals.traceId = traceId;
    res.locals.userId = req.context.userId;
    res.locals.userEmail = req.context.userId ? (req.session?.email ?? null) : null;
    // Forms send it back as returnTo, so a post can redirect to the page it came from.
    res.locals.currentPath = req.originalUrl;
    // Show a one-time notice left by the previous request (post/redirect/get), then forget it.
    if (req.session?.flash) {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    next();
  };
}
