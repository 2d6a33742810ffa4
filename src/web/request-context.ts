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

/** A session whose user is gone becomes a visitor's: the log-in is forgotten, the rest (a CSRF token) kept. */
function forgetUser(session: CookieSessionInterfaces.CookieSessionObject): void {
  delete session.userId;
  delete session.email;
  delete session.loggedInAt;
  delete session.admin;
}

interface RequestContextOptions {
  /**
   * Whether the user a session names can still log in (their user_credentials row, one
   * primary-key read). Erasing a user deletes that row, so their session ends at the next request
   * rather than when the cookie expires. Unset, the signed cookie alone is trusted.
   */
  readonly userExists?: (userId: string) => Promise<boolean>;
}

/** One trace id per request, copied into every message the request writes. */
export function requestContext({ userExists }: RequestContextOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const traceId = randomUUID();
    let userId = loggedInUser(req.session, Date.now());
    if (userId !== null && userExists && !(await userExists(userId))) {
      forgetUser(req.session!);
      userId = null;
    }
    req.context = { traceId, userId };
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
