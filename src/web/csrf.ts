import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
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
    const given: unknown = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.get('x-csrf-token');
    if (token !== undefined && !sameToken(token, given)) return next(new ForbiddenError(REFUSAL));
    next();
  };
}
