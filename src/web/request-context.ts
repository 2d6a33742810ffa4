import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** How long a log-in lasts: the cookie's max age, and the most the app believes a login's time. */
export const SESSION_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/**
 * The user a session names, if its log-in is recent enough. A cookie's Expires is only advice to
 * the browser; a copied cookie would otherwise stay good for as long as the signing key does.
 */
function loggedInUser(session: CookieSessionInterfaces.CookieSessionObject | null | undefined, now: number): string | null {
  if (!session?.userId) return null;
  const at = session.loggedInAt;
  return typeof at === 'number' && at <= now && now - at < SESSION_MAX_AGE_MS ? session.userId : null;
}

/** One trace id per request, copied into every message the request writes. */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const traceId = randomUUID();
    req.context = { traceId, userId: loggedInUser(req.session, Date.now()) };
    res.locals.traceId = traceId;
    res.locals.userId = req.context.userId;
    res.locals.userEmail = req.context.userId ? (req.session?.email ?? null) : null;
    res.locals.showAdminLink = req.context.userId !== null && req.session?.admin === true;
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
