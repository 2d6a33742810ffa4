import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** How long a log-in lasts: the cookie's max age, and the server-side session's. */
export const SESSION_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/** The user a live session belongs to, as the pages need them. */
export interface SessionUser {
  readonly userId: string;
  /** In the header's tooltip (and shown when there is no name yet); read on the server, never kept in the cookie. */
  readonly email: string;
  /** What the header shows: the person's display name. */
  readonly displayName?: string | undefined;
  /** Shows the Admin link (admin pages check the role themselves). */
  readonly admin: boolean;
}

/** What cookies written before sessions lived on the server held: the email among them. */
const OLD_SESSION_FIELDS = ['userId', 'email', 'loggedInAt', 'admin'];

interface RequestContextOptions {
  /**
   * The user of a live session (the sessions table, one indexed read): undefined once it is
   * logged out, expired, or its user erased, so a copied cookie ends with the session. Unset,
   * nobody is logged in.
   */
  readonly sessionUser?: (sessionId: string) => Promise<SessionUser | undefined>;
}

/** A response that holds personal data: no cache, shared or the browser's own, keeps a copy. */
export function noStore(): RequestHandler {
  return (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
}

/** One trace id per request, copied into every message the request writes; who is logged in. */
export function requestContext({ sessionUser }: RequestContextOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const traceId = randomUUID();
    // Before the session is read: a request that fails there (the database out of reach) is
    // the one a visitor most needs an id to quote, and the error page reads it from here.
    req.context = { traceId, userId: null };
    res.locals.traceId = traceId;
    // What support asks a visitor for, without the page showing it (the layout has it as a comment).
    res.set('X-Trace-Id', traceId);
    const session = req.session;
    if (session) for (const field of OLD_SESSION_FIELDS) if (field in session) delete session[field];
    const sessionId = session?.sid;
    const user = sessionId !== undefined && sessionUser ? await sessionUser(sessionId) : undefined;
    // A session that ended elsewhere becomes a visitor's: the id goes, the rest (a CSRF token) stays.
    if (sessionId !== undefined && user === undefined) delete session!.sid;
    req.context = { traceId, userId: user?.userId ?? null };
    res.locals.userId = req.context.userId;
    res.locals.userEmail = user?.email ?? null;
    res.locals.userName = user?.displayName ?? null;
    res.locals.showAdminLink = user?.admin === true;
    // Forms send it back as returnTo, so a post can redirect to the page it came from.
    res.locals.currentPath = req.originalUrl;
    // Show a one-time notice left by the previous request (post/redirect/get), then forget it.
    if (req.session?.flash) {
      res.locals.flash = req.session.flash;
      delete req.session.flash;
    }
    // Every page to a logged-in user shows who they are, at least.
    if (user) res.set('Cache-Control', 'no-store');
    next();
  };
}
