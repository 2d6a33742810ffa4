import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ForbiddenError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REFUSAL = 'This form has expired or did not come from this site. Go back, reload the page and try again.';

function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Did the browser send this from one of our own pages? Browsers say so in Sec-Fetch-Site, and
 * put the page's origin in Origin on every form POST; a request with neither is refused.
 */
function fromThisSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.get('origin');
  if (origin === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/**
 * Cross-site request forgery. A state-changing request must come from one of our own pages
 * (Sec-Fetch-Site or Origin), and a visitor who has a session token must also send it back as
 * `_csrf` (a synchronizer token kept in the signed session cookie). A visitor who has posted
 * nothing gets no session and no token: a page view costs no cookie to sign and set.
 */
export function csrfProtection(): RequestHandler {
  return (req, res, next) => {
    const token = req.session?.csrfToken;
    if (token !== undefined) res.locals.csrfToken = token;
    if (SAFE_METHODS.has(req.method)) return next();
    if (!fromThisSite(req)) return next(new ForbiddenError(REFUSAL));
    if (token !== undefined && !sameToken(token, givenToken(req))) return next(new ForbiddenError(REFUSAL));
    next();
  };
}

/**
 * The token a request carries: a form field, the x-csrf-token header (scripts), or for a
 * multipart form (an upload) the action's query string. No middleware before this one parses
 * multipart: its body is streamed by the route that takes it, after this check, and a plain
 * form cannot set a header.
 */
function givenToken(req: Request): unknown {
  const fromBody: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
  if (fromBody !== undefined) return fromBody;
  const header = req.get('x-csrf-token');
  if (header !== undefined) return header;
  return req.is('multipart/form-data') ? req.query._csrf : undefined;
}

/**
 * A page whose form matters (log-in, registration) gives its visitor a session token if they have
 * none, and puts it in res.locals for the form. Returns the token.
 */
export function issueCsrfToken(req: Request, res: Response): string {
  const session = req.session!;
  session.csrfToken ??= newCsrfToken();
  res.locals.csrfToken = session.csrfToken;
  return session.csrfToken;
}

/** A fresh token, e.g. at log-in, so a token seen before cannot be used after. */
export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * For posts that must carry a token even from a visitor with no session yet (log-in,
 * registration): csrfProtection() lets a tokenless visitor's same-site post through; these do not.
 */
export function requireCsrfToken(): RequestHandler {
  return (req, _res, next) => {
    const token = req.session?.csrfToken;
    if (token === undefined || !sameToken(token, givenToken(req))) return next(new ForbiddenError(REFUSAL));
    next();
  };
}
